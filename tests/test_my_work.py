"""My work: the home page leads with each person's own work, from every app's source.

Each source is scoped (another provider's work never appears, a sibling service's only to
provider-wide roles), respects who may decide what, and the page's query count stays flat as
the data grows.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.tests.factories import SubmittedAuditFactory, TemplateFactory
from core import work
from core.models import Role
from governance.flags.tests.factories import FlagFactory
from governance.packs.tests.factories import pack
from governance.reviews.tests.factories import OversightReviewFactory
from recovery.models import RecoveryAction
from recovery.tests.factories import ActionFactory, StepFactory, ThemeFactory, proposed_action

TODAY = timezone.localdate()


def build(world, size: int = 1) -> None:
    """Work at the personas' service, at its sibling and at the other provider, ``size`` times over."""
    places = [
        (world.service, world.rm, world.deputy, "Oak"),
        (world.sibling, world.quality, world.deputy, "Sibling"),
        (world.other_service, world.outsider, world.outsider, "River"),
    ]
    for service, owner, proposer, tag in places:
        TemplateFactory(provider=service.provider, title=f"{service.provider.slug} weekly audit")
        for n in range(size):
            theme = ThemeFactory(service=service, owner=owner)
            ActionFactory(theme=theme, owner=owner, title=f"{tag} overdue {n}", due_date=TODAY - datetime.timedelta(5))
            ActionFactory(theme=theme, owner=owner, title=f"{tag} due soon {n}", due_date=TODAY + datetime.timedelta(3))
            stepped = ActionFactory(theme=theme, owner=owner, title=f"{tag} steps {n}")
            StepFactory(action=stepped)
            StepFactory(action=stepped, done_on=TODAY, done_by=owner)
            ActionFactory(theme=theme, owner=owner, title=f"{tag} quiet {n}")  # nothing due: not listed
            proposed_action(service, proposer=proposer, owner=proposer, title=f"{tag} ordinary proposal {n}")
            proposed_action(
                service, proposer=world.owner, owner=world.owner, risk_level="high", title=f"{tag} high proposal {n}"
            )
            proposed_action(service, proposer=owner, owner=owner, title=f"{tag} own proposal {n}")
            review = OversightReviewFactory(service=service, chair=owner, title=f"{tag} weekly review {n}")
            review.attendees.add(world.ni if service.provider == world.provider else world.outsider)
            FlagFactory(service=service, subject_label=f"{tag} flag {n}")
            SubmittedAuditFactory(
                service=service,
                auditor=owner,
                template=TemplateFactory(provider=service.provider, title=f"{tag} sampled audit {n}"),
                period_start=TODAY - datetime.timedelta(days=14 + n * 7),
                period_end=TODAY - datetime.timedelta(days=8 + n * 7),
                is_effective=False,
                effectiveness_gaps=["no_actions"],
            )
            pack(service.provider, [service], user=owner)


def sections(user) -> dict[str, work.WorkSection]:
    return {s.key: s for s in work.my_work(user, TODAY, limit=50)}


def titles(section: work.WorkSection | None) -> list[str]:
    """Item titles without the action references ("A-12 ")."""
    return [re.sub(r"^A-\d+ ", "", i.title) for i in section.items] if section else []


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return response.content.decode()


# --- Each source -------------------------------------------------------------------------


def test_audits_due_at_my_services_only_overdue_first_one_click_to_start(world):
    build(world)
    mine = sections(world.rm)["audits"]
    assert mine.items and all(i.service == world.service.name for i in mine.items)
    assert mine.items[0].urgency <= mine.items[-1].urgency
    first = mine.items[0]
    assert first.url.startswith(reverse("audits:audit_start", kwargs={"service": world.service.slug}) + "?template=")
    # A provider-wide quality lead sees both Oakfield services, never Riverside's.
    quality = {i.service for i in sections(world.quality)["audits"].items}
    assert quality == {world.service.name, world.sibling.name}
    assert {i.service for i in sections(world.outsider)["audits"].items} == {world.other_service.name}
    assert "audits" not in sections(world.ni)  # the NI does not log audits


def test_an_audit_with_a_draft_links_to_the_draft(world):
    from audits.tests.factories import AuditFactory

    template = TemplateFactory(provider=world.provider, title="Draft started")
    draft = AuditFactory(service=world.service, template=template, auditor=world.rm)
    [item] = [i for i in sections(world.rm)["audits"].items if i.title == "Draft started" and i.urgency > 0]
    assert item.url == reverse("audits:audit_edit", kwargs={"pk": draft.pk})
    assert "draft" in item.detail


def test_a_submitted_audit_is_no_longer_due(world):
    template = TemplateFactory(provider=world.provider, title="Done this week")
    SubmittedAuditFactory(service=world.service, template=template, auditor=world.rm)
    current = list(sections(world.rm).get("audits", work.WorkSection("a", "", work.WorkList())).items)
    assert not [i for i in current if i.title == "Done this week" and i.urgency != work.Urgency.OVERDUE]


def test_owned_actions_overdue_due_soon_and_steps_waiting(world):
    build(world)
    actions = sections(world.rm)["actions"]
    assert titles(actions) == ["Oak overdue 0", "Oak due soon 0", "Oak steps 0"]
    assert [i.urgency for i in actions.items] == [work.Urgency.OVERDUE, work.Urgency.DUE_NOW, work.Urgency.WAITING]
    assert "1 of 2 steps done" in actions.items[2].detail
    # The outsider's own actions, never Oakfield's.
    assert all(t.startswith("River") for t in titles(sections(world.outsider)["actions"]))


def test_closures_waiting_respect_who_may_decide(world):
    build(world)
    rm = titles(sections(world.rm)["closures"])
    assert rm == ["Oak ordinary proposal 0"]  # not her own, not the high-risk one
    ni = titles(sections(world.ni)["closures"])
    assert {"Oak high proposal 0", "Sibling high proposal 0", "Oak own proposal 0"} <= set(ni)
    assert not [t for t in ni if t.startswith("River")]
    assert "closures" not in sections(world.viewer)
    item = sections(world.rm)["closures"].items[0]
    proposal = RecoveryAction.objects.get(title="Oak ordinary proposal 0")
    assert item.url == reverse("governance:closure_review", kwargs={"pk": proposal.pk})


def test_reviews_i_chair_or_attend(world):
    build(world)
    assert titles(sections(world.rm)["reviews"]) == ["Oak weekly review 0"]
    assert titles(sections(world.ni)["reviews"]) == ["Oak weekly review 0", "Sibling weekly review 0"]
    assert titles(sections(world.outsider)["reviews"]) == ["River weekly review 0"]
    assert "reviews" not in sections(world.deputy)  # neither chairs nor attends: nothing to show


def test_flags_on_what_i_own_or_oversee(world):
    build(world)
    rm = titles(sections(world.rm)["flags"])
    assert rm == ["Oak flag 0"]
    ni = set(titles(sections(world.ni)["flags"]))
    assert ni == {"Oak flag 0", "Sibling flag 0"}
    # An acknowledged flag leaves the people who oversee it; the viewer handles none.
    assert "flags" not in sections(world.viewer)


def test_packs_i_generated_and_audit_effectiveness_for_the_quality_lead(world):
    build(world)
    quality = sections(world.quality)
    assert len(quality["packs"].items) == 1 and quality["packs"].items[0].service == world.sibling.name
    assert set(titles(quality["effectiveness"])) == {"Oak sampled audit 0", "Sibling sampled audit 0"}
    assert "effectiveness" not in sections(world.rm)


def test_per_role_emphasis_leads_each_home_page(world):
    build(world)
    assert [s.key for s in work.my_work(world.rm, TODAY)][:2] == ["audits", "actions"]
    assert [s.key for s in work.my_work(world.ni, TODAY)][:2] == ["closures", "reviews"]
    assert [s.key for s in work.my_work(world.quality, TODAY)][:2] == ["effectiveness", "packs"]
    assert [s.key for s in work.my_work(world.viewer, TODAY)][:1] == ["progress"]


def test_the_viewer_sees_progress_and_nothing_waits(world, client):
    build(world)
    progress = sections(world.viewer)["progress"]
    assert titles(progress) == [world.service.name]
    assert progress.items[0].detail == "0 of 7 actions closed; 1 overdue."
    html = page(client, world.viewer)
    assert "Nothing waits for you" in html and "Progress at your services" in html


def test_empty_state(world, client):
    html = page(client, world.deputy)
    assert "Nothing waits for you" in html
    assert "No audits are due at your services this week." in html or "Audits due this week" in html


def test_another_providers_work_never_appears(world, client):
    build(world)
    for name in ("rm", "ni", "quality", "viewer", "board", "deputy", "owner", "lead"):
        html = page(client, world.users[name])
        assert "River" not in html and "river" not in html, name
    html = page(client, world.outsider)
    assert world.service.name not in html and world.sibling.name not in html and "Oak " not in html


def test_the_home_page_leads_with_my_work_and_links_the_overview(world, client):
    build(world)
    html = page(client, world.rm)
    assert "<h1" in html and "My work" in html
    assert html.index("Audits due this week") < html.index("Your actions") < html.index("Flags on what you own")
    assert reverse("core:overview") in html
    client.force_login(world.rm)
    overview = client.get(reverse("core:overview")).content.decode()
    assert "Your services" in overview and world.service.name in overview and world.other_service.name not in overview


# --- Bounded queries ---------------------------------------------------------------------

PERSONAS = ("rm", "deputy", "lead", "owner", "quality", "ni", "board", "viewer", "outsider")


@pytest.mark.parametrize("size", [1, 6])
@pytest.mark.parametrize("name", PERSONAS)
def test_home_page_queries_are_bounded(world, client, django_assert_max_num_queries, name, size):
    build(world, size)
    client.force_login(world.users[name])
    with django_assert_max_num_queries(20):  # the quality lead, with every source (17 for the RM, 15 for the NI)
        assert client.get(reverse("core:home")).status_code == 200


def test_every_demo_role_has_an_emphasis():
    assert set(work.ROLE_EMPHASIS) == set(Role.values)


def test_a_refused_closure_waits_on_its_owner(world):
    action = ActionFactory(
        theme=ThemeFactory(service=world.service, owner=world.rm),
        owner=world.rm,
        status=RecoveryAction.Status.REFUSED,
        title="Refused closure",
    )
    [item] = [i for i in sections(world.rm)["actions"].items if i.title.endswith("Refused closure")]
    assert item.kind == "Closure refused" and item.url == action.get_absolute_url()


@pytest.mark.parametrize("name", ["rm", "ni", "quality", "viewer"])
def test_home_page_query_count_does_not_grow_with_the_data(world, client, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.users[name])
    counts = []
    for size in (1, 4):  # then 5 of everything
        build(world, size)
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("core:home"))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_monthly_audit_comes_up_in_its_last_week(world):
    from audits.models import AuditTemplate
    from audits.periods import period_bounds
    from audits.work import audits_due

    template = TemplateFactory(provider=world.provider, title="Monthly check", frequency="monthly")
    AuditTemplate.objects.filter(pk=template.pk).update(created_at=timezone.now() - datetime.timedelta(days=3000))
    for day in (datetime.date(2026, 3, 10), datetime.date(2026, 3, 27)):
        start, end = period_bounds("monthly", day)
        current = [i for i in audits_due(world.rm, day, limit=20).items if i.urgency != work.Urgency.OVERDUE]
        assert bool(current) == (end <= day + datetime.timedelta(days=6)), day


def test_an_overdue_proposal_is_still_overdue_for_its_owner(world):
    """The one definition: an action waiting for a closure decision is open, so past its date it is overdue."""
    action = proposed_action(
        world.service, proposer=world.rm, owner=world.rm, due_date=TODAY - datetime.timedelta(days=2), title="Late"
    )
    [item] = sections(world.rm)["actions"].items
    assert item.urgency == work.Urgency.OVERDUE and item.url == action.get_absolute_url()
    assert "waiting for a decision" in item.detail


def test_work_items_rows_escape_what_people_typed_and_write_dates_as_the_date_filter_does():
    from django.template import Context, Template

    from core.templatetags.work_items import work_items

    item = work.WorkItem(
        kind="Request",
        title='<script>alert("x")</script> & more',
        url="/requests/1/?a=1&b=2",
        urgency=work.Urgency.OVERDUE,
        due=datetime.date(2026, 3, 7),
        service="Oak & Ash",
        detail="asked by O'Brien",
    )
    html = work_items([item])
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in html
    assert 'href="/requests/1/?a=1&amp;b=2"' in html and "Oak &amp; Ash" in html and "O&#x27;Brien" in html
    assert 'class="badge text-bg-danger">Request<' in html
    as_filtered = Template('{{ d|date:"j M Y" }}').render(Context({"d": item.due}))
    assert as_filtered == "7 Mar 2026" and f"· {as_filtered}<" in html
    quiet = work_items([work.WorkItem(kind="Progress", title="Oak", url="/", urgency=work.Urgency.INFO)])
    assert "text-bg-light border" in quiet and "·" not in quiet and "w-100" not in quiet
