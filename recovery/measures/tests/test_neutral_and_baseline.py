"""The neutral direction and the 12-point fixed baseline, as the measure page and the forms show them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recovery.measures import charts
from recovery.measures.measuring import State, explain, summarise
from recovery.models import DataPoint, OutcomeMeasure
from recovery.tests.factories import ActionFactory, ThemeFactory

Kind, Direction = OutcomeMeasure.Kind, OutcomeMeasure.Direction
BASE = datetime.date(2026, 1, 5)
TODAY = timezone.localdate()


def make(direction=Direction.NEUTRAL, **extra):
    fields = {
        "name": "Agency hours per week",
        "kind": Kind.COUNT,
        "direction": direction,
        "unit": "hours",
        "baseline_value": 11,
        "baseline_date": BASE,
        "target_value": 11,
        "target_date": BASE + datetime.timedelta(days=70),
        "sustain_periods": 4,
    }
    return OutcomeMeasure(**{**fields, **extra})


def pts(*values):
    return [
        DataPoint(pk=i + 1, period_date=BASE + datetime.timedelta(days=7 * i), value=v) for i, v in enumerate(values)
    ]


def test_neutral_measure_has_no_verdict_no_assurance_and_no_target_judgement():
    s = summarise(make(limits_from_first=12), pts(*([12, 10] * 6), 17))
    assert s.spc.variation == "neutral" and s.spc.assurance is None
    assert s.state == State.MONITORED and s.state_label == "Monitored (no better direction)"
    assert not s.met and not s.measure.meets_target(11)
    badge = s.badge()
    assert (badge["colour"], badge["text_colour"], badge["symbol"]) == ("#490092", "#ffffff", "◆")
    words = " ".join(explain(s))
    assert "neither better nor worse" in words and "higher than usual" in words
    assert "no assurance against the target" in words
    assert "improvement" not in words.lower().replace("a real change", "")


def test_latest_of_a_conflict_says_so_on_the_page():
    wide = [10, 20, 10, 20, 10, 20]
    s = summarise(make(Direction.HIGHER, limits_from_first=6), pts(*wide, *range(1, 8)))
    words = explain(s)
    assert any(w.startswith("Special cause – improvement") for w in words)
    assert any("Another rule points the other way" in w and "on the same side of the average" in w for w in words)


def test_short_fixed_baseline_saved_before_the_rule_is_labelled_trial():
    s = summarise(make(Direction.HIGHER, limits_from_first=6), pts(*([12, 10] * 10)))
    assert s.spc.trial and s.spc.short_fixed_baseline
    assert any("fixed on the first 6 values, fewer than the 12" in w for w in explain(s))
    assert "Trial limits (fixed on 6 points, fewer than 12)" in s.chart_svg()


@pytest.mark.django_db
def test_forms_offer_neutral_and_refuse_a_short_fixed_baseline(world, client):
    action = ActionFactory(theme=ThemeFactory(service=world.service, provider=world.provider), owner=world.owner)
    client.force_login(world.rm)
    url = reverse("recovery:measure_create", kwargs={"action_pk": action.pk})
    data = {
        "name": "Agency hours per week",
        "kind": "count",
        "direction": "neutral",
        "unit": "hours",
        "baseline_value": "40",
        "baseline_date": (TODAY - datetime.timedelta(days=30)).isoformat(),
        "target_value": "40",
        "target_date": (TODAY + datetime.timedelta(days=40)).isoformat(),
        "sustain_periods": "4",
        "cadence": "weekly",
        "limits_from_first": "6",
    }
    page = client.post(url, data)
    assert page.status_code == 200
    assert "A fixed baseline needs at least 12 values" in page.content.decode()
    assert "Neither: watch for change" in page.content.decode()
    client.post(url, {**data, "limits_from_first": "12"})
    measure = OutcomeMeasure.objects.get(action=action)
    assert measure.direction == "neutral" and measure.limits_from_first == 12
    # Neither a reduction nor a run of consecutive periods can be neutral.
    for kind in ("reduction", "consecutive"):
        refused = client.post(url, {**data, "kind": kind, "limits_from_first": ""})
        assert refused.status_code == 200 and "direction" in refused.context["form"].errors


def test_chart_colours_for_text_meet_aa():
    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def ratio(a, b):
        hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    from recovery.measures.spc import COLOURS, TEXT_COLOURS

    for key, background in COLOURS.items():
        assert ratio(background, TEXT_COLOURS[key]) >= 4.5, key
    assert ratio(charts.REBASE_COLOUR, "#ffffff") >= 4.5  # the marker's label on the chart
