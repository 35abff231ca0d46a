"""Theme, learning, action and step pages: what people type is kept, rules shown, queries flat."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import FrameworkItem
from core.tests.factories import UserFactory
from evidence.models import SourceType
from evidence.tests.factories import EvidenceFactory
from recovery.closure import services as closure
from recovery.models import ActionStep, FailureTheme, LeadershipLearning, RecoveryAction
from recovery.tests.factories import (
    ActionFactory,
    DataPointFactory,
    MeasureFactory,
    StepFactory,
    ThemeFactory,
    in_progress_action,
    proposed_action,
)

S = RecoveryAction.Status


def _days(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def _theme_data(world, **over):
    data = {
        "title": "Late escalation of deterioration",
        "weakness_found": "Changes in mobility were noted but not escalated for days.",
        "source": "inspection",
        "source_reference": "CQC report",
        "source_date": "2026-05-12",
        "regulations": ["reg12", "reg17"],
        "enforcement": "requirement_notice",
        "risk_level": "high",
        "owner": world.rm.pk,
    }
    data.update(over)
    return data


def test_creating_a_theme_at_a_service(world, client):
    client.force_login(world.rm)
    item = FrameworkItem.objects.filter(code="S2").first()
    data = _theme_data(world, framework_items=[item.pk] if item else [])
    response = client.post(reverse("recovery:theme_create", kwargs={"service": world.service.slug}), data)
    theme = FailureTheme.objects.get(title="Late escalation of deterioration")
    assert response.status_code == 302 and response["Location"] == theme.get_absolute_url()
    assert (theme.service, theme.provider, theme.regulations) == (world.service, world.provider, ["reg12", "reg17"])
    assert theme.created_by == world.rm
    page = client.get(theme.get_absolute_url()).content.decode()
    assert "Reg 12 Safe care and treatment" in page and "Requirement notice" in page


def test_a_theme_form_with_a_mistake_keeps_what_was_typed(world, client):
    client.force_login(world.rm)
    data = _theme_data(world, title="", weakness_found="Handover notes skipped the night shift.")
    response = client.post(reverse("recovery:theme_create", kwargs={"service": world.service.slug}), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required" in html
    assert "Handover notes skipped the night shift." in html
    assert not FailureTheme.objects.exists()


def test_theme_owner_must_have_access_to_the_service(world, client):
    client.force_login(world.rm)
    data = _theme_data(world, owner=world.outsider.pk)
    response = client.post(reverse("recovery:theme_create", kwargs={"service": world.service.slug}), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not FailureTheme.objects.exists()


def test_provider_wide_theme_by_the_quality_lead(world, client):
    client.force_login(world.quality)
    data = _theme_data(world, owner=world.ni.pk, title="Audits that do not challenge")
    response = client.post(reverse("recovery:provider_theme_create", kwargs={"provider": world.provider.slug}), data)
    theme = FailureTheme.objects.get(title="Audits that do not challenge")
    assert response.status_code == 302 and theme.service is None
    client.force_login(world.rm)
    themes = reverse("core:service_panels_below", args=[world.service.slug, 1])  # the service page's themes
    service_page = client.get(themes).content.decode()
    assert "Audits that do not challenge" in service_page


def test_service_page_lists_themes_with_counts(world, client):
    theme = ThemeFactory(service=world.service, title="Staffing instability", risk_level="high")
    ActionFactory(theme=theme, status=S.IN_PROGRESS)
    ActionFactory(theme=theme, status=S.CLOSED)
    ThemeFactory(service=world.sibling, title="Sibling theme")
    client.force_login(world.rm)
    themes = reverse("core:service_panels_below", args=[world.service.slug, 1])  # below the page's fold
    html = client.get(themes).content.decode()
    assert "Staffing instability" in html and "High risk" in html
    assert "Sibling theme" not in html
    assert reverse("recovery:theme_create", kwargs={"service": world.service.slug}) in html
    client.force_login(world.viewer)
    html = client.get(themes).content.decode()
    assert "Staffing instability" in html
    assert reverse("recovery:theme_create", kwargs={"service": world.service.slug}) not in html


def test_editing_a_theme_override_without_reason_is_explained(world, client):
    theme = ThemeFactory(service=world.service, owner=world.rm)
    client.force_login(world.rm)
    data = _theme_data(world, keep_visible_override="2027-06-30", keep_visible_override_reason="")
    response = client.post(reverse("recovery:theme_edit", kwargs={"pk": theme.pk}), data)
    assert response.status_code == 200
    assert "Say why this theme should stay visible" in response.content.decode()
    data["keep_visible_override_reason"] = "Re-inspection expected in spring"
    response = client.post(reverse("recovery:theme_edit", kwargs={"pk": theme.pk}), data)
    assert response.status_code == 302
    theme.refresh_from_db()
    assert theme.visible_until == datetime.date(2027, 6, 30)


def test_learning_recorded_then_reviewed_by_the_nominated_individual(world, client):
    theme = ThemeFactory(service=world.service)
    evidence = EvidenceFactory(service=world.service, source_type=SourceType.GOVERNANCE_MINUTES)
    client.force_login(world.rm)
    response = client.post(
        reverse("recovery:learning_add", kwargs={"pk": theme.pk}),
        {
            "factors": ["oversight", "audit_effectiveness"],
            "why_it_happened": "Audit scores were accepted without sampling.",
            "governance_change": "Quality lead samples five records monthly.",
            "how_tested": "Re-sample at the leadership review.",
            "evidence": [evidence.pk],
        },
    )
    assert response.status_code == 302
    learning = LeadershipLearning.objects.get(theme=theme)
    assert learning.factors == ["oversight", "audit_effectiveness"] and list(learning.evidence.all()) == [evidence]
    url = reverse("recovery:learning_review", kwargs={"pk": learning.pk})
    assert client.post(url, {"note": "Looks fine"}).status_code == 403
    client.force_login(world.ni)
    response = client.post(url, {"note": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    client.post(url, {"note": "Sampled three records on my visit; sampling is happening."})
    learning.refresh_from_db()
    assert learning.reviewed_by == world.ni and learning.reviewed_at is not None


def _action_data(world, **over):
    data = {
        "title": "Escalate changes the same shift",
        "baseline_issue": "Four of ten sampled changes escalated late.",
        "intended_outcome": "",
        "measurable_target": "95% within the shift by March",
        "owner": world.deputy.pk,
        "due_date": (timezone.localdate() + datetime.timedelta(days=70)).isoformat(),
        "risk_level": "high",
        "evidence_required": ["care_record", "observation"],
    }
    data.update(over)
    return data


def test_action_created_as_a_draft_and_cannot_start_without_an_outcome(world, client):
    theme = ThemeFactory(service=world.service)
    client.force_login(world.rm)
    response = client.post(reverse("recovery:action_create", kwargs={"pk": theme.pk}), _action_data(world))
    action = RecoveryAction.objects.get(theme=theme)
    assert response.status_code == 302 and action.status == S.DRAFT
    assert action.evidence_required == ["care_record", "observation"] and action.owner == world.deputy
    client.post(reverse("recovery:action_open", kwargs={"pk": action.pk}))
    response = client.post(reverse("recovery:action_start", kwargs={"pk": action.pk}))
    assert response.status_code == 200
    assert "Write the intended outcome" in response.content.decode()
    action.refresh_from_db()
    assert action.status == S.OPEN


def test_action_form_errors_keep_the_typed_text(world, client):
    theme = ThemeFactory(service=world.service)
    client.force_login(world.rm)
    data = _action_data(world, due_date="not a date", baseline_issue="Night staff did not escalate R-1042.")
    response = client.post(reverse("recovery:action_create", kwargs={"pk": theme.pk}), data)
    html = response.content.decode()
    assert response.status_code == 200 and "Enter a valid date" in html
    assert "Night staff did not escalate R-1042." in html


def test_editing_cannot_remove_the_outcome_once_started(world, client):
    action = in_progress_action(world.service, owner=world.owner)
    client.force_login(world.rm)
    data = _action_data(world, intended_outcome="", owner=world.owner.pk)
    response = client.post(reverse("recovery:action_edit", kwargs={"pk": action.pk}), data)
    assert response.status_code == 200
    assert "intended outcome cannot be removed" in response.content.decode()


def test_reassigning_an_action(world, client):
    action = in_progress_action(world.service, owner=world.owner)
    client.force_login(world.rm)
    url = reverse("recovery:action_reassign", kwargs={"pk": action.pk})
    assert client.post(url, {"owner": world.outsider.pk}).status_code == 200  # not a choice
    assert client.post(url, {"owner": world.lead.pk}).status_code == 302
    action.refresh_from_db()
    assert action.owner == world.lead


def test_steps_added_in_order_and_marked_done(world, client):
    action = in_progress_action(world.service)
    client.force_login(world.rm)
    url = reverse("recovery:step_add", kwargs={"pk": action.pk})
    client.post(url, {"role": "Senior carer", "what": "Check notes each shift", "recorded_where": "Oversight log"})
    client.post(url, {"role": "Registered manager", "what": "Sample five records weekly"})
    steps = list(action.steps.all())
    assert [(s.order, s.role) for s in steps] == [(1, "Senior carer"), (2, "Registered manager")]
    client.force_login(world.owner)
    done = reverse("recovery:step_done", kwargs={"pk": steps[0].pk})
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(done, {"done_on": future})
    assert response.status_code == 200 and "future date" in response.content.decode()
    client.post(done, {"done_on": _days(1).isoformat()})
    step = ActionStep.objects.get(pk=steps[0].pk)
    assert (step.done_by, step.done_on) == (world.owner, _days(1))


def test_linking_and_unlinking_evidence(world, client):
    action = in_progress_action(world.service)
    mine = EvidenceFactory(service=world.service, title="Weekly record sample")
    removed = EvidenceFactory(service=world.service, title="Removed sample", removed_at=timezone.now())
    sibling = EvidenceFactory(service=world.sibling, title="Sibling sample")
    client.force_login(world.owner)
    url = reverse("recovery:action_evidence", kwargs={"pk": action.pk})
    html = client.get(url).content.decode()
    assert "Weekly record sample" in html and "Removed sample" not in html and "Sibling sample" not in html
    assert client.post(url, {"item": sibling.pk}).status_code == 200
    assert client.post(url, {"item": removed.pk}).status_code == 200
    assert client.post(url, {"item": mine.pk}).status_code == 302
    assert list(action.evidence.all()) == [mine]
    client.post(url, {"unlink": mine.pk})
    assert not action.evidence.exists()


def test_evidence_stays_linked_while_closure_is_proposed(world, client):
    action = proposed_action(world.service, proposer=world.lead)
    item = action.evidence.get()
    client.force_login(world.rm)
    client.post(reverse("recovery:action_evidence", kwargs={"pk": action.pk}), {"unlink": item.pk})
    assert action.evidence.filter(pk=item.pk).exists()


def test_propose_page_lists_what_is_missing(world, client):
    action = in_progress_action(world.service)
    action.evidence.add(EvidenceFactory(service=world.service, source_type=SourceType.TRAINING_RECORD))
    client.force_login(world.owner)
    url = reverse("recovery:action_propose", kwargs={"pk": action.pk})
    html = client.get(url).content.decode()
    assert "Not ready" in html and "only shows activity" in html
    response = client.post(url, {"note": "All staff trained on escalation.", "justification": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "All staff trained on escalation." in html
    assert RecoveryAction.objects.get(pk=action.pk).status == S.IN_PROGRESS


def test_decide_page_refuses_the_proposer(world, client):
    action = proposed_action(world.service, proposer=world.rm)
    client.force_login(world.rm)
    url = reverse("recovery:action_decide", kwargs={"pk": action.pk})
    assert "someone else must decide" in client.get(url).content.decode()
    assert client.post(url, {"decision": "approve", "rationale": "Fine"}).status_code == 403


def test_decide_form_requires_further_checks_when_refusing(world, client):
    action = proposed_action(world.service, proposer=world.lead)
    client.force_login(world.rm)
    url = reverse("recovery:action_decide", kwargs={"pk": action.pk})
    response = client.post(url, {"decision": "refuse", "rationale": "Only one week of data."})
    assert response.status_code == 200 and "Name the further checks" in response.content.decode()
    assert "Only one week of data." in response.content.decode()


def test_registered_manager_gets_403_deciding_a_high_risk_closure(world, client):
    action = proposed_action(world.service, proposer=world.lead, risk_level="high")
    client.force_login(world.rm)
    response = client.get(reverse("recovery:action_decide", kwargs={"pk": action.pk}))
    assert response.status_code == 403
    html = client.get(action.get_absolute_url()).content.decode()
    assert "Decide closure" not in html


def test_action_page_tells_the_story_in_order(world, client):
    action = in_progress_action(world.service, days_ago=40, baseline_issue="Escalation late in 4 of 10 records.")
    StepFactory(action=action, what="Sample five records weekly", done_on=_days(30), done_by=world.rm)
    action.evidence.add(EvidenceFactory(service=world.service, title="Record sample week 3", refers_to=_days(20)))
    measure = MeasureFactory(action=action, name="Escalated on time")
    DataPointFactory(measure=measure, period_date=_days(10), numerator=9, denominator=10)
    closure.action_propose_closure(actor=world.lead, action=action, note="Nine in ten on time", justification="x")
    closure.action_decide_closure(
        decision="refuse", actor=world.ni, action=action, rationale="Not yet 95%", further_checks="Two weeks"
    )
    client.force_login(world.viewer)
    html = client.get(action.get_absolute_url()).content.decode()
    order = [
        "Escalation late in 4 of 10 records.",
        "Sample five records weekly",
        "Record sample week 3",
        "Escalated on time: 90",
        "Closure proposed",
        "Closure refused",
        "Back in progress",
    ]
    timeline = html[html.index("From concern to outcome") :]
    positions = [timeline.index(text) for text in order]
    assert positions == sorted(positions)
    assert "Further checks required:</strong> Two weeks" in html
    assert "<svg" in html  # the measure's sparkline


@pytest.mark.parametrize("extra", [0, 12])
def test_service_panel_query_count_is_flat(world, client, django_assert_max_num_queries, extra):
    counts = []
    client.force_login(world.rm)
    for round_ in range(2):
        for _ in range(extra if round_ else 1):
            theme = ThemeFactory(service=world.service, owner=world.rm)
            ActionFactory(theme=theme, owner=world.rm)
        queries = []
        # The service page, and its themes below the fold (loaded when scrolled to).
        themes = reverse("core:service_panels_below", args=[world.service.slug, 1])
        for url in (world.service.get_absolute_url(), themes):
            with django_assert_max_num_queries(40) as ctx:
                assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
            queries.append(len(ctx.captured_queries))
        counts.append(queries)
    assert counts[0] == counts[1]


def _populate_action(action, world, n: int) -> None:
    for i in range(n):
        StepFactory(action=action, done_on=_days(i + 1), done_by=world.rm)
        action.evidence.add(EvidenceFactory(service=world.service, refers_to=_days(i + 1), created_by=world.rm))
        measure = MeasureFactory(action=action)
        DataPointFactory(measure=measure, period_date=_days(i + 1), recorded_by=world.rm)


def test_action_and_theme_pages_query_counts_are_flat(world, client, django_assert_max_num_queries):
    client.force_login(world.ni)
    small = in_progress_action(world.service, created_by=world.rm)
    big = in_progress_action(world.service, created_by=world.rm)
    _populate_action(small, world, 1)
    _populate_action(big, world, 8)
    for _ in range(6):
        ActionFactory(theme=big.theme, owner=UserFactory())
    counts = {}
    for name, action in (("small", small), ("big", big)):
        with django_assert_max_num_queries(40) as ctx:
            assert client.get(action.get_absolute_url()).status_code == 200
        counts[f"action-{name}"] = len(ctx.captured_queries)
        with django_assert_max_num_queries(40) as ctx:
            assert client.get(action.theme.get_absolute_url()).status_code == 200
        counts[f"theme-{name}"] = len(ctx.captured_queries)
    assert counts["action-small"] == counts["action-big"]
    assert counts["theme-small"] == counts["theme-big"]


def test_service_and_provider_themes_in_one_query_match_the_separate_selectors(world, django_assert_num_queries):
    from recovery.plan import selectors as plan_selectors

    ThemeFactory(service=world.service, provider=world.provider, title="Here")
    ThemeFactory(service=world.sibling, provider=world.provider, title="Next door")
    ThemeFactory(service=None, provider=world.provider, title="Everywhere")
    expected = (
        plan_selectors.themes_for_service(world.rm, world.service),
        plan_selectors.provider_themes(world.rm, world.provider),
    )
    with django_assert_num_queries(1):
        own, wide = plan_selectors.service_and_provider_themes(world.rm, world.service)
    assert (own, wide) == expected
    assert [t.title for t in own] == ["Here"] and [t.title for t in wide] == ["Everywhere"]
