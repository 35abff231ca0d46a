"""The recovery map: what it shows, the gaps it highlights, filters, scope and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AccessRecord, FrameworkItem, FrameworkVersion, KeyQuestion
from evidence.models import EvidenceItem, Nature, SourceType
from evidence.tests.factories import EvidenceFactory
from recovery.measures.services import measure_refresh_summaries
from recovery.models import ActionStep, DataPoint, LeadershipLearning, OutcomeMeasure, RecoveryAction
from recovery.tests.factories import ActionFactory, DataPointFactory, MeasureFactory, ThemeFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def build_plan(service, n_actions: int, *, owner, n_themes: int = 5, proposer=None) -> list[RecoveryAction]:
    """A realistic plan in bulk: themes (half with learning), actions with a mix of statuses and
    risks, each with a measure, four weekly points, two evidence items and two steps."""
    themes = [ThemeFactory(service=service, provider=service.provider, owner=owner) for _ in range(n_themes)]
    for theme in themes[::2]:
        LeadershipLearning.objects.create(
            theme=theme,
            provider=service.provider,
            service=service,
            why_it_happened="Nobody sampled escalation records.",
            governance_change="Weekly sampling by the manager.",
            how_tested="Re-audit in six weeks.",
            recorded_by=owner,
        )
    statuses = list(RecoveryAction.Status.values)
    risks = ["high", "medium", "low"]
    actions = RecoveryAction.objects.bulk_create(
        [
            RecoveryAction(
                theme=themes[i % n_themes],
                provider=service.provider,
                service=service,
                title=f"Action {i}",
                baseline_issue="Late escalation.",
                intended_outcome="" if i % 7 == 0 else "Concerns escalated on time.",
                owner=owner,
                due_date=TODAY + datetime.timedelta(days=(i % 5) * 10 - 15),
                risk_level=risks[i % 3],
                status=statuses[i % len(statuses)],
                started_on=TODAY - datetime.timedelta(days=20),
                proposed_by=proposer if statuses[i % len(statuses)] == "closure_proposed" else None,
            )
            for i in range(n_actions)
        ]
    )
    measures = OutcomeMeasure.objects.bulk_create(
        [
            OutcomeMeasure(
                action=a,
                provider=service.provider,
                service=service,
                name=f"Measure for {a.title}",
                kind="percentage",
                direction="higher",
                unit="%",
                baseline_value=60,
                baseline_date=TODAY - datetime.timedelta(days=60),
                target_value=95,
                target_date=TODAY + datetime.timedelta(days=30),
            )
            for a in actions
            if a.title[-1] != "3"  # some actions have no measure
        ]
    )
    DataPoint.objects.bulk_create(
        [
            DataPoint(
                measure=m,
                period_date=TODAY - datetime.timedelta(weeks=w + (4 if j % 4 == 0 else 0)),
                numerator=k,
                denominator=10,
                value=10.0 * k,
            )
            for j, m in enumerate(measures)
            for w, k in [(4, 6), (3, 7), (2, 8), (1, 3 if j % 2 else 9)]
        ]
    )
    measure_refresh_summaries(OutcomeMeasure.objects.filter(service=service))  # points written in bulk
    evidence = EvidenceItem.objects.bulk_create(
        [
            EvidenceItem(
                provider=service.provider,
                service=service,
                title=f"Evidence {i}",
                refers_to=TODAY - datetime.timedelta(days=3),
                source_type=SourceType.CARE_RECORD if i % 2 else SourceType.TRAINING_RECORD,
                nature=Nature.IMPACT if i % 2 else Nature.ACTIVITY,
            )
            for i in range(2 * n_actions)
        ]
    )
    through = RecoveryAction.evidence.through
    through.objects.bulk_create(
        [
            through(recoveryaction_id=a.pk, evidenceitem_id=evidence[2 * i + k].pk)
            for i, a in enumerate(actions)
            if i % 5 != 1  # some actions have no evidence
            for k in (0, 1)
        ]
    )
    ActionStep.objects.bulk_create(
        [ActionStep(action=a, order=k, role="Senior carer", what=f"Step {k}") for a in actions for k in (1, 2)]
    )
    return actions


def count_queries(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


HTMX = {"HX-Request": "true"}


def theme_rows(client, response) -> dict:
    """Each theme on the map page with its action rows as a browser gets them: its lazily
    loaded fragment (the link the page gives it, filters and all), by theme title."""
    rows = {}
    for t in response.context["map"].themes:
        if t.rows_loaded:  # no actions: nothing to load
            rows[t.theme.title] = t.actions
            continue
        fragment = client.get(t.rows_url, headers=HTMX)
        assert fragment.status_code == 200
        rows[t.theme.title] = fragment.context["t"].actions
    return rows


def fragment_html(client, response) -> str:
    """The page and every theme's rows fragment, as the browser ends up showing them."""
    html = [response.content.decode()]
    for t in response.context["map"].themes:
        if not t.rows_loaded:
            html.append(client.get(t.rows_url, headers=HTMX).content.decode())
    return "\n".join(html)


@pytest.mark.parametrize("which", ["service", "provider"])
def test_map_query_count_does_not_grow_with_the_plan(world, client, django_assert_max_num_queries, which):
    client.force_login(world.quality)
    url = (
        reverse("recovery:map_service", kwargs={"service": world.service.slug})
        if which == "service"
        else reverse("recovery:map_provider", kwargs={"provider": world.provider.slug})
    )
    build_plan(world.service, 10, owner=world.owner)
    small = count_queries(client, url)
    small_fragment = count_queries(client, client.get(url).context["map"].themes[0].rows_url, **HTMX)
    build_plan(world.service, 190, owner=world.lead)  # 200 actions in all
    build_plan(world.sibling, 20, owner=world.quality)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert len(response.context["map"].themes) >= 10
    assert count_queries(client, url) == small
    # Each theme's rows, loaded after the page: as flat (a theme of 38 actions here, 2 before).
    biggest = max(response.context["map"].themes, key=lambda t: t.counts.actions)
    assert biggest.counts.actions >= 38
    assert count_queries(client, biggest.rows_url, **HTMX) == small_fragment


@pytest.mark.parametrize("which", ["service", "provider"])
def test_map_page_and_fragment_query_counts(world, client, which):
    """The page reads a fixed number of queries whatever the plan's size; so does each theme's rows."""
    client.force_login(world.quality)
    url = (
        reverse("recovery:map_service", kwargs={"service": world.service.slug})
        if which == "service"
        else reverse("recovery:map_provider", kwargs={"provider": world.provider.slug})
    )
    build_plan(world.service, 10, owner=world.owner)
    page = count_queries(client, url)
    # Session, user, memberships, the service (or the provider and its services), the key questions,
    # the gap counts (one query for every theme), the page of themes, their key questions, the
    # navigation's services, the access record, and the transactions around them.
    # Provider-wide, the whole map's gap counts load after the page (recovery:provider_map_gaps):
    # the page counts its themes and only the page's themes' gaps.
    assert page == (14 if which == "service" else 16)
    fragment = count_queries(client, client.get(url).context["map"].themes[0].rows_url, **HTMX)
    # The same sign-in and scope, the theme, its actions (their evidence counted with them),
    # their measures and review layers, the access record.
    assert fragment == 13


def test_map_shows_the_chain_and_highlights_gaps(world, client):
    theme = ThemeFactory(service=world.service, provider=world.provider, title="Late escalation")
    good = ActionFactory(theme=theme, owner=world.deputy, title="Weekly sampling")
    measure = MeasureFactory(action=good, name="Escalated on time")
    DataPointFactory(measure=measure, period_date=TODAY - datetime.timedelta(days=2), numerator=10, denominator=10)
    impact = EvidenceFactory(service=world.service, source_type=SourceType.CARE_RECORD)
    activity = EvidenceFactory(service=world.service, source_type=SourceType.TRAINING_RECORD)
    removed = EvidenceFactory(service=world.service, removed_at=timezone.now())
    good.evidence.add(impact, activity, removed)
    ActionFactory(theme=theme, intended_outcome="", title="Retrain staff")
    stale = ActionFactory(theme=theme, title="Handover sheet")
    MeasureFactory(action=stale, name="Handover complete", baseline_date=TODAY - datetime.timedelta(days=40))
    stale.evidence.add(EvidenceFactory(service=world.service))

    client.force_login(world.rm)
    response = client.get(reverse("recovery:map_service", kwargs={"service": world.service.slug}))
    recovery_map = response.context["map"]
    [row] = recovery_map.themes
    assert row.gap_labels == ["No leadership learning"]
    assert row.counts.actions == 3 and row.counts.gap_summary == [
        ("No intended outcome", 1),
        ("No measure", 1),
        ("Measure without recent data", 1),
        ("No evidence", 1),
    ]
    by_title = {r.action.title: r for r in theme_rows(client, response)["Late escalation"]}
    assert by_title["Weekly sampling"].gaps == []
    assert (by_title["Weekly sampling"].impact_count, by_title["Weekly sampling"].activity_count) == (1, 1)
    assert by_title["Retrain staff"].gap_labels == ["No intended outcome", "No measure", "No evidence"]
    assert by_title["Handover sheet"].gap_labels == ["Measure without recent data"]
    assert recovery_map.gap_counts == {
        "no_outcome": 1,
        "no_measure": 1,
        "stale_measure": 1,
        "measure_off_track": 0,
        "no_evidence": 1,
        "closed_without_impact": 0,
        "no_learning": 1,
    }
    assert "No leadership learning" in response.content.decode()
    html = fragment_html(client, response)
    assert "Escalated on time" in html and "spc-sparkline" in html
    assert "1 impact" in html
    assert str(world.deputy) in html


def test_filters(world, client):
    version = FrameworkVersion.objects.create(code="saf-test", name="SAF", status="current")
    safe = KeyQuestion.objects.create(version=version, code="safe", name="Safe", order=1)
    caring = KeyQuestion.objects.create(version=version, code="caring", name="Caring", order=3)
    s3 = FrameworkItem.objects.create(version=version, key_question=safe, code="S3", name="Safeguarding", order=3)
    FrameworkItem.objects.create(version=version, key_question=caring, code="C1", name="Kindness", order=1)
    safe_theme = ThemeFactory(service=world.service, provider=world.provider, title="Safeguarding oversight")
    safe_theme.framework_items.add(s3)
    other_theme = ThemeFactory(service=world.service, provider=world.provider, title="Communication")
    high = ActionFactory(theme=safe_theme, risk_level="high", title="High one")
    ActionFactory(theme=safe_theme, risk_level="low", title="Low one")
    ActionFactory(theme=other_theme, risk_level="high", title="Other high")
    closed = ActionFactory(theme=other_theme, risk_level="medium", status="closed", title="Closed one")

    client.force_login(world.rm)
    url = reverse("recovery:map_service", kwargs={"service": world.service.slug})

    def titles(**params):
        rows = theme_rows(client, client.get(url, params))
        return {title: sorted(r.action.title for r in actions) for title, actions in rows.items()}

    assert titles(key_question="safe") == {"Safeguarding oversight": ["High one", "Low one"]}
    assert titles(key_question="caring") == {}
    assert titles(risk="high") == {"Safeguarding oversight": ["High one"], "Communication": ["Other high"]}
    assert titles(status="closed") == {"Communication": [closed.title]}
    assert titles(risk="high", key_question="safe") == {"Safeguarding oversight": [high.title]}
    # An unknown value is reported and ignored, not a crash.
    response = client.get(url, {"risk": "enormous"})
    assert response.status_code == 200 and "The filter was ignored" in response.content.decode()
    assert len(response.context["map"].themes) == 2


def test_provider_map_lists_only_services_the_user_can_see(world, client):
    mine = ActionFactory(theme=ThemeFactory(service=world.service, provider=world.provider), title="At Oak House")
    ActionFactory(theme=ThemeFactory(service=world.sibling, provider=world.provider), title="At Oak Lodge")
    ActionFactory(
        theme=ThemeFactory(service=world.other_service, provider=world.other_provider), title="At River House"
    )
    url = reverse("recovery:map_provider", kwargs={"provider": world.provider.slug})

    def titles(response):
        return {r.action.title for actions in theme_rows(client, response).values() for r in actions}

    client.force_login(world.rm)  # service-level at Oak House only
    response = client.get(url)
    assert titles(response) == {mine.title}
    assert [s.slug for s in response.context["form"].fields["service"].queryset] == [world.service.slug]
    # Asking for a service they cannot see is refused as an invalid choice, not shown.
    response = client.get(url, {"service": world.sibling.slug})
    assert titles(response) == {mine.title}

    client.force_login(world.ni)  # provider-wide
    assert titles(client.get(url)) == {"At Oak House", "At Oak Lodge"}
    assert titles(client.get(url, {"service": world.sibling.slug})) == {"At Oak Lodge"}

    client.force_login(world.outsider)
    assert client.get(url).status_code == 404


def test_provider_wide_theme_with_actions_at_a_service(world, client):
    theme = ThemeFactory(service=None, provider=world.provider, title="Provider-wide audit culture")
    ActionFactory(theme=theme, service=world.service, title="Oak House audits")
    ActionFactory(theme=theme, service=world.sibling, title="Oak Lodge audits")
    client.force_login(world.rm)
    response = client.get(reverse("recovery:map_service", kwargs={"service": world.service.slug}))
    [(title, rows)] = theme_rows(client, response).items()
    assert [r.action.title for r in rows] == ["Oak House audits"]


def test_empty_map(world, client):
    client.force_login(world.viewer)
    response = client.get(reverse("recovery:map_service", kwargs={"service": world.service.slug}))
    assert "No recovery themes yet" in response.content.decode()


def test_add_theme_link_only_for_planners(world, client):
    url = reverse("recovery:map_service", kwargs={"service": world.service.slug})
    theme_create = reverse("recovery:theme_create", kwargs={"service": world.service.slug})
    client.force_login(world.deputy)
    assert theme_create in client.get(url).content.decode()
    client.force_login(world.viewer)
    assert theme_create not in client.get(url).content.decode()


def test_map_pages_by_theme_and_gap_counts_cover_every_page(world, client):
    from recovery.overview.selectors import MAP_THEMES_PER_PAGE

    n = MAP_THEMES_PER_PAGE + 2
    # Titles sort in this order; every theme lacks learning and has one action with no outcome.
    for i in range(n):
        theme = ThemeFactory(
            service=world.service, provider=world.provider, title=f"Theme {i:02d}", risk_level="medium"
        )
        ActionFactory(theme=theme, intended_outcome="", title=f"Action of theme {i:02d}", risk_level="high")
    client.force_login(world.rm)
    url = reverse("recovery:map_service", kwargs={"service": world.service.slug})

    first = client.get(url)
    first_titles = [t.theme.title for t in first.context["map"].themes]
    assert first_titles == [f"Theme {i:02d}" for i in range(MAP_THEMES_PER_PAGE)]
    second = client.get(url, {"page": 2})
    titles = [t.theme.title for t in second.context["map"].themes]
    assert titles[0] == f"Theme {MAP_THEMES_PER_PAGE:02d}" and len(titles) == n - MAP_THEMES_PER_PAGE
    for response in (first, second):
        counts = response.context["map"].gap_counts
        assert counts["no_learning"] == n and counts["no_outcome"] == n and counts["no_evidence"] == n
    html = second.content.decode()
    assert "Page 2 of 2" in html and 'aria-label="Pages of themes"' in html and "Theme 00" not in html

    # Filters stay in the page links, and the counts follow the filter.
    filtered = client.get(url, {"risk": "high"}).content.decode()
    assert "?risk=high&amp;page=2" in filtered
    assert client.get(url, {"risk": "low"}).context["map"].gap_counts["no_learning"] == 0


def test_map_gaps_name_an_off_track_measure_and_a_closure_without_impact_evidence(world, client):
    """The map's gaps come from the measure's one evaluation (its badge) and the closure rule."""
    theme = ThemeFactory(service=world.service, provider=world.provider, title="Audits that do not challenge")
    LeadershipLearning.objects.create(
        theme=theme,
        provider=world.provider,
        service=world.service,
        why_it_happened="Nobody checked the audits.",
        governance_change="Monthly challenge.",
        how_tested="Re-audit.",
        recorded_by=world.quality,
    )
    off = ActionFactory(theme=theme, title="Challenge audits")
    measure = MeasureFactory(action=off, name="Effective audits")
    DataPointFactory(measure=measure, period_date=TODAY - datetime.timedelta(days=2), numerator=3, denominator=10)
    off.evidence.add(EvidenceFactory(service=world.service, source_type=SourceType.CARE_RECORD))
    closed = ActionFactory(theme=theme, title="Retrain auditors", status=RecoveryAction.Status.CLOSED)
    closed.evidence.add(EvidenceFactory(service=world.service, source_type=SourceType.TRAINING_RECORD))
    kept = MeasureFactory(action=closed, name="Auditors trained")
    DataPointFactory(measure=kept, period_date=TODAY - datetime.timedelta(days=2), numerator=10, denominator=10)

    client.force_login(world.rm)
    response = client.get(reverse("recovery:map_service", kwargs={"service": world.service.slug}))
    recovery_map = response.context["map"]
    by_title = {r.action.title: r for r in theme_rows(client, response)[theme.title]}
    assert by_title["Challenge audits"].gap_labels == ["Measure off track"]
    assert by_title["Retrain auditors"].gap_labels == ["Closed without impact evidence"]
    assert recovery_map.gap_counts["measure_off_track"] == 1
    assert recovery_map.gap_counts["closed_without_impact"] == 1
    html = client.get(recovery_map.themes[0].rows_url, headers=HTMX).content.decode()
    assert "Measure off track" in html and "Closed without impact evidence" in html


def test_theme_rows_are_the_themes_and_other_providers_get_404(world, client):
    """Each theme's rows are a page of their own: same permission scoping as the map, recorded."""
    theme = ThemeFactory(service=world.service, provider=world.provider, title="Late escalation")
    ActionFactory(theme=theme, title="Weekly sampling")
    elsewhere = ThemeFactory(service=world.other_service, provider=world.other_provider, title="Elsewhere")
    ActionFactory(theme=elsewhere, title="Not yours")
    url = reverse("recovery:map_theme_rows", kwargs={"service": world.service.slug, "theme": theme.pk})
    provider_url = reverse(
        "recovery:provider_map_theme_rows", kwargs={"provider": world.provider.slug, "theme": theme.pk}
    )

    client.force_login(world.outsider)  # another provider's user
    assert client.get(url, headers=HTMX).status_code == 404
    assert client.get(provider_url, headers=HTMX).status_code == 404
    client.force_login(world.rm)
    # Another provider's theme through my own service's address is not found either.
    mine_but_theirs = reverse("recovery:map_theme_rows", kwargs={"service": world.service.slug, "theme": elsewhere.pk})
    assert client.get(mine_but_theirs, headers=HTMX).status_code == 404

    AccessRecord.objects.all().delete()
    fragment = client.get(url, headers=HTMX)
    assert fragment.status_code == 200 and "Weekly sampling" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()  # the bare rows, for htmx to swap in
    record = AccessRecord.objects.get()
    assert (record.user, record.service, record.url_name) == (world.rm, world.service, "recovery:map_theme_rows")

    # Without JavaScript (or when the swap fails) the same link opens the rows as a page.
    page = client.get(url + "?risk=high").content.decode()
    assert "<html" in page and "Actions of Late escalation" in page
    assert reverse("recovery:map_service", kwargs={"service": world.service.slug}) + "?risk=high" in page


def test_the_map_links_each_theme_to_its_rows(world, client):
    """The page holds a lazily loaded panel per theme with actions, its link keeping the filters."""
    theme = ThemeFactory(service=world.service, provider=world.provider, title="Late escalation")
    ActionFactory(theme=theme, title="Weekly sampling", risk_level="high")
    empty = ThemeFactory(service=world.service, provider=world.provider, title="Nothing yet")
    client.force_login(world.rm)
    url = reverse("recovery:map_service", kwargs={"service": world.service.slug})
    response = client.get(url, {"risk": "high"})
    html = response.content.decode()
    rows_url = reverse("recovery:map_theme_rows", kwargs={"service": world.service.slug, "theme": theme.pk})
    assert f'hx-get="{rows_url}?risk=high"' in html and 'hx-trigger="revealed"' in html
    assert "Weekly sampling" not in html  # the rows come with the fragment
    assert "1 action" in html
    html = client.get(url).content.decode()
    assert "No actions yet on this theme" in html and empty.title in html


def _provider_map(world) -> str:
    return reverse("recovery:map_provider", kwargs={"provider": world.provider.slug})


def test_the_provider_maps_gaps_over_every_action_load_after_the_page_with_its_filters(world, client):
    from recovery.overview.selectors import MAP_THEMES_PER_PAGE, recovery_map

    for i in range(MAP_THEMES_PER_PAGE + 3):  # more themes than a page: the summary covers them all
        theme = ThemeFactory(service=world.service, provider=world.provider, title=f"Theme {i:02d}")
        ActionFactory(theme=theme, intended_outcome="", risk_level="high" if i % 2 else "low")
    client.force_login(world.ni)
    response = client.get(_provider_map(world), {"risk": "high"})
    assert response.context["map"].gap_counts is None
    gaps_url = response.context["gaps_url"]
    assert gaps_url.startswith(reverse("recovery:provider_map_gaps", kwargs={"provider": world.provider.slug}))
    assert "risk=high" in gaps_url
    html = response.content.decode()
    assert f'hx-get="{gaps_url}"' in html and 'hx-trigger="load"' in html

    fragment = client.get(gaps_url, headers=HTMX)
    assert "<html" not in fragment.content.decode()
    whole = recovery_map(world.ni, provider=world.provider, risk="high").gap_counts
    assert whole["no_outcome"] == 6  # the six high-risk actions, across both pages of themes
    assert fragment.context["gaps"] == [(k, label, whole[k]) for k, label, _ in fragment.context["gaps"]]
    assert '<span class="badge text-bg-warning">6</span> No intended outcome' in fragment.content.decode()

    # The page's own theme counts are the ones the whole map's counting gives each theme.
    page_counts = {t.theme.pk: t.counts for t in response.context["map"].themes}
    everything = {t.theme.pk: t.counts for t in recovery_map(world.ni, provider=world.provider, risk="high").themes}
    assert page_counts == {pk: everything[pk] for pk in page_counts}

    # Without JavaScript the same address is a page of its own, with the way back.
    page = client.get(gaps_url).content.decode()
    assert "<html" in page and "Gaps across the recovery map" in page and "Back to the recovery map" in page


def test_the_provider_maps_gaps_read_a_fixed_number_of_queries(world, client):
    client.force_login(world.quality)
    url = reverse("recovery:provider_map_gaps", kwargs={"provider": world.provider.slug})
    build_plan(world.service, 10, owner=world.owner)
    small = count_queries(client, url, **HTMX)
    build_plan(world.service, 190, owner=world.lead)
    build_plan(world.sibling, 20, owner=world.quality)
    assert count_queries(client, url, **HTMX) == small


def test_another_providers_people_cannot_read_the_provider_maps_gaps(world, client):
    client.force_login(world.outsider)
    url = reverse("recovery:provider_map_gaps", kwargs={"provider": world.provider.slug})
    assert client.get(url, headers=HTMX).status_code == 404
