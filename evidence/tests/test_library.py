"""The evidence library: filters, coverage grid, CSV and Excel exports and bounded queries."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.access import AccessKind
from core.models import AccessRecord, EvidenceCategory, FrameworkItem
from evidence import selectors, services
from evidence.models import EvidenceItem, Nature, SourceType
from evidence.tests import samples
from evidence.tests.factories import EvidenceFactory
from tests.exports_support import assert_sheet_header, csv_rows, sheet_rows, workbook

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def cat(code: str) -> EvidenceCategory:
    return EvidenceCategory.objects.get(version__code="saf-2023", code=code)


def fi(code: str) -> FrameworkItem:
    return FrameworkItem.objects.get(code=code)


def titles(response) -> set[str]:
    return {item.title for item in response.context["page"].object_list}


@pytest.fixture
def spread(world):
    """A small spread of evidence at the service, the sibling and provider-wide."""
    obs = EvidenceFactory(
        service=world.service,
        title="Night handover observed",
        description="Escalation prompts used for every change noted",
        source_type=SourceType.OBSERVATION,
        category=cat("observation"),
        refers_to=TODAY - datetime.timedelta(days=3),
    )
    obs.framework_items.set([fi("S1"), fi("S3")])  # two Safe statements: counted once
    training = EvidenceFactory(
        service=world.service,
        title="Escalation training attendance",
        source_type=SourceType.TRAINING_RECORD,
        nature=Nature.ACTIVITY,
        category=cat("processes"),
        refers_to=TODAY - datetime.timedelta(days=40),
    )
    training.framework_items.set([fi("S1")])
    family = EvidenceFactory(
        service=world.service,
        title="Family feedback calls",
        source_type=SourceType.FAMILY_FEEDBACK,
        category=cat("peoples_experience"),
        refers_to=TODAY - datetime.timedelta(days=10),
    )
    family.framework_items.set([fi("C1"), fi("D-C1")])  # SAF and draft items of one key question
    minutes = EvidenceFactory(
        service=None,
        provider=world.provider,
        title="Board minutes, challenge on staffing",
        source_type=SourceType.GOVERNANCE_MINUTES,
        nature=Nature.ACTIVITY,
        category=cat("processes"),
        refers_to=TODAY - datetime.timedelta(days=20),
    )
    minutes.framework_items.set([fi("W5")])
    EvidenceFactory(service=world.sibling, title="Sibling rota check", source_type=SourceType.ROTA_RECORD)
    EvidenceFactory(service=world.other_service, title="Other provider care record")
    removed = EvidenceFactory(service=world.service, title="Removed duplicate")
    services.evidence_remove(actor=world.rm, item=removed, reason="Duplicate")
    return {"obs": obs, "training": training, "family": family, "minutes": minutes}


def test_service_library_lists_current_items_here_and_provider_wide(world, client, spread):
    client.force_login(world.viewer)
    response = client.get(reverse("evidence:library", args=[world.service.slug]))
    assert titles(response) == {
        "Night handover observed",
        "Escalation training attendance",
        "Family feedback calls",
        "Board minutes, challenge on staffing",
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"service": "none"}, {"Board minutes, challenge on staffing"}),
        (
            {"service": "oak-house"},
            {"Night handover observed", "Escalation training attendance", "Family feedback calls"},
        ),
        ({"category": "processes"}, {"Escalation training attendance", "Board minutes, challenge on staffing"}),
        ({"source_type": SourceType.OBSERVATION}, {"Night handover observed"}),
        ({"nature": Nature.ACTIVITY}, {"Escalation training attendance", "Board minutes, challenge on staffing"}),
        ({"date_from": -15, "date_to": -5}, {"Family feedback calls"}),
        ({"q": "escalation prompts"}, {"Night handover observed"}),
        ({"q": "ESCALATION"}, {"Night handover observed", "Escalation training attendance"}),
    ],
)
def test_filters(world, client, spread, query, expected):
    params = dict(query)
    if "category" in params:
        params["category"] = cat(params["category"]).pk
    for key in ("date_from", "date_to"):
        if key in params:
            params[key] = (TODAY + datetime.timedelta(days=params[key])).isoformat()
    client.force_login(world.rm)
    response = client.get(reverse("evidence:library", args=[world.service.slug]), params)
    assert titles(response) == expected


def test_bad_filter_values_are_ignored_not_an_error(world, client, spread):
    client.force_login(world.rm)
    response = client.get(
        reverse("evidence:library", args=[world.service.slug]), {"date_from": "yesterday", "category": "x"}
    )
    assert response.status_code == 200
    assert len(titles(response)) == 4


def _theme(world, title="Late escalation of deterioration"):
    rel = {r.name: r for r in EvidenceItem._meta.related_objects}.get("themes")
    if rel is None:
        pytest.skip("the recovery layer is not installed")
    return rel.related_model.objects.create(
        provider=world.provider,
        service=world.service,
        title=title,
        weakness_found="Escalated late.",
        source="inspection",
        owner=world.rm,
    )


def test_linked_unlinked_and_theme_filters(world, client, spread):
    theme = _theme(world)
    spread["obs"].themes.add(theme)
    client.force_login(world.rm)
    url = reverse("evidence:library", args=[world.service.slug])
    assert titles(client.get(url, {"linked": "linked"})) == {"Night handover observed"}
    assert "Night handover observed" not in titles(client.get(url, {"linked": "unlinked"}))
    assert len(titles(client.get(url, {"linked": "unlinked"}))) == 3
    assert titles(client.get(url, {"theme": theme.pk})) == {"Night handover observed"}
    listed = {i.title: i.links_text for i in client.get(url).context["page"].object_list}
    assert listed["Night handover observed"].startswith("1 ")
    assert listed["Family feedback calls"] == ""


def test_coverage_counts_items_per_key_question_and_category(world, spread):
    items = selectors.library_items(world.rm, provider=world.provider, service=world.service)
    grid = selectors.coverage(items)
    cells = {(row.key_question.code, c.code): n for row in grid.rows for c, n in row.cells}
    assert cells[("safe", "observation")] == 1  # S1 + S3 on one item: once
    assert cells[("safe", "processes")] == 1
    assert cells[("caring", "peoples_experience")] == 1  # SAF + draft items: once
    assert cells[("well_led", "processes")] == 1
    assert cells[("effective", "outcomes")] == 0
    assert grid.gaps == 5 * 6 - 4
    assert grid.untagged == 0


HTMX = {"HX-Request": "true"}


def test_coverage_grid_marks_gaps_in_words(world, client, spread):
    client.force_login(world.rm)
    html = client.get(reverse("evidence:coverage", args=[world.service.slug]), headers=HTMX).content.decode()
    assert "<caption" in html and 'scope="row"' in html
    assert "26 gaps" in html
    assert "no Outcomes evidence for Effective" in html
    assert "<html" not in html  # the bare fragment for htmx


def test_the_library_loads_its_coverage_after_itself_with_the_same_filters(world, client, spread):
    client.force_login(world.rm)
    html = client.get(reverse("evidence:library", args=[world.service.slug]), {"nature": "activity"}).content.decode()
    url = reverse("evidence:coverage", args=[world.service.slug]) + "?nature=activity"
    assert f'hx-get="{url}"' in html and 'hx-trigger="load"' in html
    assert f'<a href="{url}">Show coverage by key question</a>' in html  # without JavaScript
    fragment = client.get(url, headers=HTMX).content.decode()
    assert "matching your filters" in fragment and "28 gaps" in fragment  # the two activity items


def test_coverage_without_javascript_is_a_page_of_its_own(world, client, spread):
    client.force_login(world.ni)
    response = client.get(reverse("evidence:provider_coverage", args=[world.provider.slug]), {"service": "none"})
    html = response.content.decode()
    assert "<html" in html and "Evidence coverage by key question" in html
    assert "29 gaps" in html  # the board minutes only
    library = reverse("evidence:provider_library", args=[world.provider.slug])
    assert f'href="{library}?service=none"' in html


def test_coverage_is_recorded_as_looked_at(world, client, spread):
    client.force_login(world.rm)
    assert client.get(reverse("evidence:coverage", args=[world.service.slug]), headers=HTMX).status_code == 200
    record = AccessRecord.objects.get(label="Evidence library coverage")
    assert (record.user, record.service_id, record.kind) == (world.rm, world.service.pk, AccessKind.PAGE)


def test_coverage_is_not_for_another_provider_or_a_service_role(world, client, spread):
    client.force_login(world.outsider)
    assert client.get(reverse("evidence:coverage", args=[world.service.slug]), headers=HTMX).status_code == 404
    assert client.get(reverse("evidence:provider_coverage", args=[world.provider.slug])).status_code == 404
    client.force_login(world.rm)  # the provider-wide library is for provider-level roles, so is its coverage
    assert client.get(reverse("evidence:provider_coverage", args=[world.provider.slug])).status_code == 403
    assert client.get(reverse("evidence:coverage", args=[world.other_service.slug])).status_code == 404


def test_provider_library_covers_every_service_for_provider_level_roles(world, client, spread):
    client.force_login(world.board)
    response = client.get(reverse("evidence:provider_library", args=[world.provider.slug]))
    assert "Sibling rota check" in titles(response)
    assert "Other provider care record" not in titles(response)
    assert len(titles(response)) == 5
    only_sibling = client.get(
        reverse("evidence:provider_library", args=[world.provider.slug]), {"service": world.sibling.slug}
    )
    assert titles(only_sibling) == {"Sibling rota check"}


def test_library_is_paginated(world, client):
    EvidenceFactory.create_batch(30, service=world.service)
    client.force_login(world.rm)
    url = reverse("evidence:library", args=[world.service.slug])
    assert len(client.get(url).context["page"].object_list) == 25
    second = client.get(url, {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 of 2" in second.content.decode()


# --- CSV -------------------------------------------------------------------------------


HEADER = [
    "ID",
    "Title",
    "Service",
    "Refers to",
    "Uploaded",
    "Category",
    "Source type",
    "Impact or activity",
    "Where it is recorded",
    "File name",
    "SHA-256",
    "Linked to",
]


def test_csv_export_has_the_columns_and_the_filtered_rows(world, client, spread):
    item = services.evidence_create(
        actor=world.rm,
        provider=world.provider,
        service=world.service,
        title='=HYPERLINK("http://example.test")',
        refers_to=TODAY - datetime.timedelta(days=1),
        source_type=SourceType.OBSERVATION,
        category=cat("observation"),
        recorded_in="Observation folder",
        upload=samples.upload("obs.txt", samples.TEXT),
    )
    client.force_login(world.rm)
    url = reverse("evidence:export_csv", args=[world.service.slug])
    rows = csv_rows(client.get(url, {"source_type": SourceType.OBSERVATION}))
    assert rows[0] == HEADER
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {str(item.pk), str(spread["obs"].pk)}
    row = by_id[str(item.pk)]
    assert row[1].startswith("'=")  # a spreadsheet will not run it as a formula
    assert row[2:4] == ["Oak House", item.refers_to.isoformat()]
    assert row[5:12] == [
        "Observation",
        "Observation of practice",
        "Impact",
        "Observation folder",
        "obs.txt",
        item.file_sha256,
        "",
    ]


def test_provider_csv_includes_every_service_and_provider_wide(world, client, spread):
    client.force_login(world.quality)
    rows = csv_rows(client.get(reverse("evidence:provider_export_csv", args=[world.provider.slug])))
    assert {row[2] for row in rows[1:]} == {"Oak House", "Oak Lodge", "Provider-wide"}
    assert len(rows) == 1 + 5


def test_excel_export_is_the_same_list_with_real_dates_and_no_formulas(world, client, spread):
    item = EvidenceFactory(
        service=world.service,
        title='=HYPERLINK("http://example.test")',
        recorded_in="Handover – night shift",
        source_type=SourceType.OBSERVATION,
    )
    client.force_login(world.rm)
    url = reverse("evidence:export_xlsx", args=[world.service.slug])
    wb = workbook(client.get(url, {"source_type": SourceType.OBSERVATION}))
    ws = wb["Evidence"]
    assert_sheet_header(ws, HEADER)
    by_id = {row[0]: row for row in sheet_rows(ws)[1:]}
    assert set(by_id) == {item.pk, spread["obs"].pk}  # the page's filter applies
    row = ws[[r[0].value for r in ws.iter_rows()].index(item.pk) + 1]
    assert row[1].value == '=HYPERLINK("http://example.test")'  # shown as typed...
    assert row[1].data_type == "s" and row[1].quotePrefix  # ...and never run
    assert row[3].is_date and row[3].value.date() == item.refers_to
    assert row[8].value == "Handover – night shift"


def test_csv_round_trips_a_dash_and_starts_with_the_bom(world, client):
    EvidenceFactory(service=world.service, title="Falls review – January")
    client.force_login(world.rm)
    rows = csv_rows(client.get(reverse("evidence:export_csv", args=[world.service.slug])))
    assert rows[1][1] == "Falls review – January"


def test_provider_excel_export_is_for_provider_level_roles(world, client, spread):
    client.force_login(world.quality)
    wb = workbook(client.get(reverse("evidence:provider_export_xlsx", args=[world.provider.slug])))
    assert {row[2] for row in sheet_rows(wb.active)[1:]} == {"Oak House", "Oak Lodge", "Provider-wide"}
    client.force_login(world.rm)
    assert client.get(reverse("evidence:provider_export_xlsx", args=[world.provider.slug])).status_code == 403
    assert client.get(reverse("evidence:export_xlsx", args=[world.other_service.slug])).status_code == 404


# --- bounded queries -------------------------------------------------------------------


def _make(world, n: int) -> None:
    items = EvidenceFactory.create_batch(n, service=world.service, category=cat("observation"))
    for item in items:
        item.framework_items.set([fi("S3"), fi("E1")])


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "view", ["evidence:library", "evidence:coverage", "evidence:export_csv", "evidence:export_xlsx"]
)
def test_library_query_count_does_not_grow_with_items(world, client, view, django_assert_max_num_queries):
    client.force_login(world.rm)
    url = reverse(view, args=[world.service.slug])
    params = {"linked": "unlinked", "q": "Evidence"}
    _make(world, 5)
    client.get(url)  # warm the session
    small = _count(client, url, params)
    _make(world, 55)
    with django_assert_max_num_queries(small):
        large = _count(client, url, params)
    assert small == large


@pytest.mark.parametrize("view", ["evidence:provider_library", "evidence:provider_coverage"])
def test_provider_library_query_count_does_not_grow(world, client, view):
    client.force_login(world.ni)
    url = reverse(view, args=[world.provider.slug])
    _make(world, 5)
    client.get(url)
    small = _count(client, url)
    EvidenceFactory.create_batch(55, service=world.sibling)
    assert _count(client, url) == small


# --- drawn in Python -------------------------------------------------------------------


def _tags(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html))


@pytest.mark.parametrize("value", [None, "", "1", 1, "g2", "a&b", "missing"])
def test_quick_select_draws_what_djangos_select_draws(value):
    from django import forms as django_forms

    from evidence.forms import QuickSelect

    choices = [("", "Any"), (1, "Tom & Jerry's"), ("a&b", "<b>bold</b>"), ("G", [("g1", "One"), ("g2", "Two")])]
    attrs = {"id": "id_x", "required": True, "disabled": False, "aria-describedby": "id_x_helptext"}
    theirs = django_forms.Select(choices=choices, attrs={"class": "form-select"}).render("x", value, attrs)
    ours = QuickSelect(choices=choices, attrs={"class": "form-select"}).render("x", value, attrs)
    assert _tags(ours) == _tags(theirs)


@pytest.mark.parametrize("value", [None, "", 'say "hi" <now>', datetime.date(2026, 1, 5)])
def test_quick_inputs_draw_what_djangos_inputs_draw(value):
    from django import forms as django_forms

    from core.forms import DateInput
    from evidence.forms import QuickDateInput, QuickTextInput

    attrs = {"id": "id_x", "maxlength": "100"}
    assert QuickTextInput().render("x", value, attrs) == django_forms.TextInput().render("x", value, attrs)
    assert QuickDateInput().render("x", value, attrs) == DateInput().render("x", value, attrs)


def test_rows_escape_what_people_typed(world, client):
    EvidenceFactory(service=world.service, title="<script>alert(1)</script> & notes", file_name="a.pdf")
    client.force_login(world.rm)
    html = client.get(reverse("evidence:library", args=[world.service.slug])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; notes</a> <span" in html and "<script>alert" not in html
    item = EvidenceItem.objects.get()
    assert f'<a href="{item.get_absolute_url()}">' in html
    assert f'<time datetime="{item.refers_to.isoformat()}">{item.refers_to:%-d %b %Y}</time>' in html
