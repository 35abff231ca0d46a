"""Tests for the server-side SVG charts (pure Python, no database)."""

import datetime
import xml.etree.ElementTree as ET

import pytest

from recovery.measures.charts import (
    TRIAL_LABEL,
    assurance_badge,
    sparkline_svg,
    spc_chart_svg,
    variation_badge,
)
from recovery.measures.spc import compute_spc

NS = "{http://www.w3.org/2000/svg}"


def dates_for(n):
    return [datetime.date(2024, 1, 1) + datetime.timedelta(days=30 * i) for i in range(n)]


def chart(values, *, direction="higher", target=None, baseline_size=None, **kwargs):
    result = compute_spc(values, direction=direction, target=target, baseline_size=baseline_size)
    kwargs.setdefault("title", "Escalations")
    svg = spc_chart_svg(dates=dates_for(len(values)), values=values, result=result, **kwargs)
    return svg, ET.fromstring(svg)


def all_text(root):
    return [el.text for el in root.iter() if el.text]


def test_chart_is_accessible_standalone_svg():
    svg, root = chart([10, 12, 11, 13, 14], unit="%")
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 640 260"
    title = root.find(f"{NS}title")
    desc = root.find(f"{NS}desc")
    assert title is not None and title.text == "Escalations"
    ids = root.get("aria-labelledby").split()
    assert ids == [title.get("id"), desc.get("id")]
    # The description summarises the chart in words.
    assert "5 data points" in desc.text
    assert "Latest value 14%" in desc.text
    assert "Mean 12%" in desc.text
    assert "Common cause variation" in desc.text
    assert "nan" not in svg and "inf" not in svg


def test_ids_are_unique_between_charts():
    _, a = chart([1, 2, 3])
    _, b = chart([1, 2, 3])
    assert a.find(f"{NS}title").get("id") != b.find(f"{NS}title").get("id")


def test_title_and_unit_are_escaped():
    svg, root = chart([1, 2, 3], title='<script>alert("x")</script>&', unit="<b>")
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "&amp;" in svg
    assert root.find(f"{NS}title").text == '<script>alert("x")</script>&'


def test_target_label_and_assurance_in_desc():
    svg, root = chart([10, 12, 10, 12, 10, 12], target=5, unit="%")
    assert "Target 5%" in all_text(root)
    desc = root.find(f"{NS}desc").text
    assert "Consistently passes target" in desc
    assert "#c00000" in svg


def test_trial_label_only_below_twelve_points():
    _, trial = chart([10, 12] * 5 + [11])  # 11 points
    assert TRIAL_LABEL in all_text(trial)
    assert TRIAL_LABEL == "Trial limits (fewer than 12 points)"
    _, full = chart([10, 12] * 6)  # 12 points
    assert TRIAL_LABEL not in all_text(full)


def test_concern_point_is_orange():
    # Limits from the first 6 points are 16.32 / 5.68; 5 is below -> concern.
    _, root = chart([12, 10, 12, 10, 12, 10, 5], baseline_size=6)
    data_circles = [c for c in root.iter(f"{NS}circle") if c.find(f"{NS}title") is not None]
    assert len(data_circles) == 7
    assert data_circles[-1].get("fill") == "#e46c0a"
    assert {c.get("fill") for c in data_circles[:-1]} == {"#a6a6a6"}
    assert "Special cause – concern" in root.find(f"{NS}desc").text


def test_improvement_point_is_blue():
    _, root = chart([12, 10, 12, 10, 12, 10, 17], baseline_size=6)
    data_circles = [c for c in root.iter(f"{NS}circle") if c.find(f"{NS}title") is not None]
    assert data_circles[-1].get("fill") == "#00b0f0"


def test_empty_placeholder():
    _, root = chart([])
    assert root.get("role") == "img"
    assert "No data yet" in all_text(root)
    assert root.find(f"{NS}circle") is None


@pytest.mark.parametrize("values", [[7], [3, 3, 3, 3, 3], [0, 0], [-2.5, -2.5, -1]])
def test_degenerate_series_render(values):
    svg, root = chart(values, target=3)
    assert "nan" not in svg and "inf" not in svg
    assert len([c for c in root.iter(f"{NS}circle") if c.find(f"{NS}title") is not None]) == len(values)


def test_fixed_y_range_and_many_points():
    values = [float(50 + (i % 7) * 5) for i in range(60)]
    _, root = chart(values, y_min=0, y_max=100, unit="%", show_title=True)
    texts = all_text(root)
    assert "0" in texts and "100" in texts
    # Date labels ("3 Mar 24" as the series spans years) are thinned out.
    months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
    date_labels = [t for t in texts if len(t.split()) == 3 and t.split()[1] in months]
    assert 2 <= len(date_labels) <= 15
    assert date_labels[0] == "5 Nov 28"  # the latest date is always labelled


def test_length_mismatch_raises():
    result = compute_spc([1, 2, 3], direction="higher")
    with pytest.raises(ValueError):
        spc_chart_svg(dates=dates_for(2), values=[1, 2, 3], result=result, title="x")


def test_sparkline():
    values = [12, 10, 12, 10, 12, 10, 5]
    result = compute_spc(values, direction="higher", baseline_size=6)
    svg = sparkline_svg(values=values, variation=result.variation, label="Repeat <complaints>")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label").startswith("Repeat <complaints>: 7 points")
    assert "<complaints>" not in svg
    assert list(root.iter(f"{NS}circle"))[-1].get("fill") == "#e46c0a"

    empty = ET.fromstring(sparkline_svg(values=[], variation=compute_spc([], direction="lower").variation))
    assert empty.get("aria-label") == "No data"
    flat = sparkline_svg(values=[4, 4], variation=compute_spc([4, 4], direction="lower").variation, target=4)
    assert "nan" not in flat


def test_variation_badge():
    up = compute_spc([12, 10, 12, 10, 12, 10, 17], direction="higher", baseline_size=6)
    assert variation_badge(up) == {
        "key": "improvement",
        "label": "Special cause – improvement",
        "colour": "#00b0f0",
        "text_colour": "#000000",
        "symbol": "▲",
    }
    # Same rise when lower is better: a concern, values still went up.
    up_lower = compute_spc([12, 10, 12, 10, 12, 10, 17], direction="lower", baseline_size=6)
    assert variation_badge(up_lower)["key"] == "concern"
    assert variation_badge(up_lower)["symbol"] == "▲"
    down_lower = compute_spc([12, 10, 12, 10, 12, 10, 5], direction="lower", baseline_size=6)
    assert variation_badge(down_lower)["symbol"] == "▼"
    assert variation_badge(down_lower)["key"] == "improvement"
    assert variation_badge(compute_spc([1, 2], direction="higher"))["symbol"] == "●"
    assert variation_badge(compute_spc([], direction="higher"))["label"] == "No data"


def test_assurance_badge():
    assert assurance_badge(compute_spc([1, 2, 3], direction="higher")) is None
    badge = assurance_badge(compute_spc([12, 10, 12, 10], direction="higher", target=20))
    assert badge["key"] == "fail" and badge["label"] == "Consistently fails target"


def _lines(root, stroke):
    """Lines of one colour drawn in the plot (the legend's samples sit at y=249)."""
    return [el for el in root.iter(f"{NS}line") if el.get("stroke") == stroke and el.get("y1") != "249"]


def test_rebased_chart_draws_each_segment_with_its_own_limits_and_a_marker():
    values = [12, 10, 12, 10, 12, 10] + [20, 22, 20, 22, 20, 22]
    result = compute_spc(values, direction="higher", segment_starts=[6])
    dates = dates_for(len(values))
    svg = spc_chart_svg(dates=dates, values=values, result=result, title="Escalations")
    root = ET.fromstring(svg)
    means = _lines(root, "#404040")
    assert len(means) == 2  # one mean line per segment
    (a, b) = means
    assert float(a.get("x2")) == float(b.get("x1"))  # they meet at the marker
    assert float(a.get("y1")) > float(b.get("y1"))  # the first segment's mean (11) is lower
    limits = _lines(root, "#7f7f7f")
    dashed = [ln for ln in limits if ln.get("stroke-dasharray") == "6 4"]
    assert len(dashed) == 4  # upper and lower, twice
    marker = root.find(f"{NS}g[@class='spc-rebase']")
    assert marker is not None
    assert marker.find(f"{NS}title").text == f"New limits from {dates[6].day} {dates[6]:%b}"
    texts = all_text(root)
    assert "Mean 21" in texts and "Upper 26.3" in texts  # right-hand labels: the current segment
    assert "New limits" in texts  # in the legend
    desc = root.find(f"{NS}desc").text
    assert "Limits recalculated from" in desc and "Before the latest change: mean 11" in desc
    # Both segments have fewer than 12 points: each is labelled trial where it starts.
    assert texts.count("Trial limits") == 2
    assert TRIAL_LABEL not in texts


def test_short_fixed_baseline_is_labelled():
    _, root = chart([10, 12] * 10, baseline_size=6)
    assert "Trial limits (fixed on 6 points, fewer than 12)" in all_text(root)
    assert "(trial limits: fixed on 6 points, fewer than 12)." in root.find(f"{NS}desc").text
    _, fixed = chart([10, 12] * 10, baseline_size=12)
    assert not [t for t in all_text(fixed) if t.startswith("Trial")]


def test_neutral_chart_is_purple_without_verdict_words():
    _, root = chart([12, 10, 12, 10, 12, 10, 17], direction="neutral", baseline_size=6, target=11)
    data_circles = [c for c in root.iter(f"{NS}circle") if c.find(f"{NS}title") is not None]
    assert data_circles[-1].get("fill") == "#490092"
    assert data_circles[-1].find(f"{NS}title").text.endswith("(higher than usual)")
    texts = all_text(root)
    assert "Special cause" in texts and "Improvement" not in texts and "Concern" not in texts
    desc = root.find(f"{NS}desc").text
    assert "Neither higher nor lower is better." in desc
    assert "target" not in desc.lower().replace("target 11.", "")  # no assurance sentence


def test_neutral_badge_is_readable():
    badge = variation_badge(compute_spc([12, 10, 12, 10, 12, 10, 17], direction="neutral", baseline_size=6))
    assert badge == {
        "key": "neutral",
        "label": "Special cause – neither better nor worse",
        "colour": "#490092",
        "text_colour": "#ffffff",
        "symbol": "◆",
    }
