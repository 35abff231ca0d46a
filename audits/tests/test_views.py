"""The pages: logging through the grid, autosave, htmx rows, submit errors, templates, feeds, panel."""

import datetime
import html
import json

from django.urls import reverse
from django.utils import timezone

from audits.models import Audit, AuditTemplate, MeasureFeed
from recovery.models import DataPoint
from recovery.tests.factories import ActionFactory, MeasureFactory, ThemeFactory

from .factories import AuditFactory, TemplateFactory, formset_data, grid_data, submitted_audit


def _grid(keys, rows, actions=(), **extra):
    """POST data for the grid, built from the formsets' prefixes: rows of (ref, [answers], comment)."""
    return grid_data(keys, rows, actions, **extra)


def _draft(world, criteria=3):
    template = TemplateFactory(provider=world.provider, criteria=criteria, default_sample_size=4)
    return AuditFactory(service=world.service, template=template, auditor=world.rm)


def test_the_logging_screen_starts_with_the_default_sample_of_empty_rows(world, client):
    audit = _draft(world)
    client.force_login(world.rm)
    page = client.get(reverse("audits:audit_edit", args=[audit.pk])).content.decode()
    grid, empty_row = page.split('<template id="record-template">')
    assert grid.count('class="record-row"') == 4 and 'name="records-TOTAL_FORMS" value="4"' in grid
    assert "R-1042" in page and "Never a person" in page  # the help text says what a reference is
    assert grid.count('type="radio"') == 4 * 3 * 3
    assert 'name="records-3-a_c3"' in grid
    # The formset's empty row, for rebuilding rows from the copy on the device without a connection.
    assert 'name="records-__prefix__-ref"' in empty_row


def test_autosave_saves_a_draft_without_locking_and_answers_with_a_status(world, client):
    audit = _draft(world)
    client.force_login(world.rm)
    url = reverse("audits:audit_autosave", args=[audit.pk])
    data = _grid(["c1", "c2", "c3"], [("R-1042", ["yes", "no", ""], "seen"), ("", [], "")], findings="Half done")
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.content.decode().startswith("Saved ")
    audit.refresh_from_db()
    assert audit.status == Audit.Status.DRAFT
    assert audit.findings == "Half done"
    record = audit.records.get()  # the empty row is dropped
    assert (record.record_ref, record.answers, record.comment) == ("R-1042", {"c1": "yes", "c2": "no"}, "seen")
    # A second autosave updates the same row rather than adding one.
    client.post(url, _grid(["c1", "c2", "c3"], [("R-1042", ["yes", "no", "na"], "seen")]))
    assert audit.records.get().answers == {"c1": "yes", "c2": "no", "c3": "na"}


def test_autosave_leaves_out_a_name_saves_every_other_answer_and_says_what_was_not_saved(world, client):
    audit = _draft(world)
    client.force_login(world.rm)
    url = reverse("audits:audit_autosave", args=[audit.pk])
    client.post(url, _grid(["c1"], [("R-1", ["yes"], "")]))
    rows = [("R-1", ["yes", "no", "na"], ""), ("R-2", ["yes", "yes", ""], ""), ("Jane Doe", ["no", "yes", "yes"], "x")]
    response = client.post(url, _grid(["c1", "c2", "c3"], rows, findings="Two late"))
    assert response.status_code == 200 and response["Audit-Not-Saved"] == "1"
    assert response["Audit-Version"] == Audit.objects.get(pk=audit.pk).draft_version
    text = html.unescape(response.content.decode().strip())
    assert text.startswith("Saved 8 answers at ")
    assert "; not saved: record reference in row 3 — “Jane Doe” reads as a person's name" in text
    assert list(audit.records.values_list("record_ref", "answers", "comment")) == [
        ("R-1", {"c1": "yes", "c2": "no", "c3": "na"}, ""),
        ("R-2", {"c1": "yes", "c2": "yes"}, ""),
        ("", {"c1": "no", "c2": "yes", "c3": "yes"}, "x"),
    ]
    assert Audit.objects.get(pk=audit.pk).findings == "Two late"


def test_autosave_on_a_submitted_audit_is_refused(world, client):
    audit = submitted_audit(service=world.service, auditor=world.rm)
    client.force_login(world.rm)
    response = client.post(reverse("audits:audit_autosave", args=[audit.pk]), _grid([], []))
    assert response.status_code == 409


def test_record_row_returns_one_empty_row_at_the_end_and_the_new_row_count(world, client):
    audit = _draft(world)
    client.force_login(world.rm)
    url = reverse("audits:record_row", args=[audit.pk])
    response = client.get(url, {"records-TOTAL_FORMS": "4"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.count("<tr") == 1
    assert 'name="records-4-ref"' in html and 'name="records-4-a_c1"' in html
    assert "autofocus" in html.split('name="records-4-ref"')[1].split(">")[0]  # focus moves into it
    assert 'hx-swap-oob="true"' in html and 'name="records-TOTAL_FORMS" value="5"' in html
    assert ">5<" in html  # the row's number
    # Without htmx there is nothing to add a row to: back to the screen.
    assert client.get(url, {"records-TOTAL_FORMS": "4"}).status_code == 302


def test_action_row_returns_one_empty_action_with_the_service_choices(world, client):
    theme = ThemeFactory(service=world.service, provider=world.provider, title="Night escalation")
    audit = _draft(world)
    client.force_login(world.rm)
    response = client.get(
        reverse("audits:action_row", args=[audit.pk]), {"actions-TOTAL_FORMS": "0"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.count('class="arising-row') == 1 and 'name="actions-0-description"' in html
    assert f'value="theme:{theme.pk}"' in html and "Night escalation" in html
    assert 'name="actions-TOTAL_FORMS" value="1"' in html


def test_removing_a_row_returns_the_list_renumbered_with_what_was_typed_and_asks_to_autosave(world, client):
    audit = _draft(world, criteria=2)
    client.force_login(world.rm)
    rows = [("R-1", ["yes", ""], "first"), ("Jane Doe", ["no", ""], "second"), ("R-3", ["", "na"], "third")]
    data = _grid(["c1", "c2"], rows, remove="records-0")
    response = client.post(reverse("audits:remove_row", args=[audit.pk]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "audit-grid-changed" in json.loads(response["HX-Trigger"])
    html = response.content.decode()
    assert "<html" not in html and html.count('class="record-row"') == 2
    assert 'name="records-TOTAL_FORMS" value="2"' in html
    # Row 2 is now row 1, with everything typed, the invalid reference too; focus lands on it.
    assert 'name="records-0-ref" value="Jane Doe"' in html and 'value="second"' in html
    assert 'name="records-1-ref" value="R-3"' in html and "first" not in html
    assert 'id="id_records-1-a_c2_2" value="na" data-key="c2" autocomplete="off" checked' in html
    assert "autofocus" in html.split('name="records-0-ref"')[1].split(">")[0]
    assert audit.records.count() == 0  # nothing is saved until the autosave it asks for


def test_removing_the_last_action_focuses_add_an_action(world, client):
    audit = _draft(world, criteria=1)
    client.force_login(world.rm)
    data = _grid(["c1"], [], actions=[{"description": "Re-brief"}], remove="actions-0")
    response = client.post(reverse("audits:remove_row", args=[audit.pk]), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Re-brief" not in html and 'name="actions-TOTAL_FORMS" value="0"' in html
    assert 'id="add-arising" autofocus' in html
    # Without htmx, the whole screen comes back, less the row.
    page = client.post(reverse("audits:remove_row", args=[audit.pk]), data).content.decode()
    assert "<html" in page and "Re-brief" not in page


def test_autosave_answers_htmx_with_the_status_partial(world, client):
    audit = _draft(world, criteria=1)
    client.force_login(world.rm)
    url = reverse("audits:audit_autosave", args=[audit.pk])
    response = client.post(url, _grid(["c1"], [("R-1", ["yes"], "")]), HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates] == ["audits/_autosave_status.html"]
    assert response.content.decode().strip().startswith("Saved ")
    response = client.post(url, _grid(["c1"], [("R-1", ["yes"], ""), ("Jane Doe", [], "")]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().strip().startswith(
        "Saved 1 answer at "
    ) and "; not saved: record reference in row 2 — “Jane Doe” reads as a person's name" in html.unescape(
        response.content.decode()
    )


def test_a_grid_without_its_management_form_is_refused_not_half_read(world, client):
    audit = _draft(world, criteria=1)
    client.force_login(world.rm)
    legacy = {"row": ["t0"], "r-t0-ref": "R-1", "r-t0-a-c1": "yes"}
    response = client.post(reverse("audits:audit_autosave", args=[audit.pk]), legacy)
    assert response.status_code == 422 and audit.records.count() == 0


def test_save_draft_with_errors_saves_the_rest_says_what_was_not_saved_and_keeps_every_field(world, client):
    theme = ThemeFactory(service=world.service, provider=world.provider)
    audit = _draft(world, criteria=1)
    client.force_login(world.rm)
    action = {
        "description": "Leading line\nsecond",
        "owner": "999999",
        "due_date": "soon",
        "target": f"theme:{theme.pk}",
    }
    data = _grid(["c1"], [("Mr Brown", ["no"], "kept comment")], actions=[action], findings="\nIndented findings")
    response = client.post(reverse("audits:audit_edit", args=[audit.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Draft partly saved. Saved 1 answer at " in page
    assert "not saved: record reference in row 1 — “Mr Brown” reads as a person&#x27;s name" in page
    assert "owner of action 1 — Choose an owner from the list" in page
    assert "due date of action 1 — Enter the due date as a date" in page
    assert 'value="Mr Brown"' in page and 'value="kept comment"' in page
    assert 'aria-invalid="true"' in page and 'href="#id_records-0-ref"' in page
    assert "Choose an owner from the list." in page and "Enter the due date as a date." in page
    assert 'value="soon"' in page and f'value="theme:{theme.pk}" selected' in page
    # Django's textarea keeps a leading newline (a hand-written one loses it).
    assert ">\n\nIndented findings</textarea>" in page and "Leading line\nsecond</textarea>" in page
    # Everything valid is on the server: the answer, the comment, the action's text and theme.
    assert list(audit.records.values_list("record_ref", "answers", "comment")) == [("", {"c1": "no"}, "kept comment")]
    arising = audit.actions_arising.get()
    assert (arising.description, arising.owner, arising.due_date, arising.theme) == (
        "Leading line\nsecond",
        None,
        None,
        theme,
    )
    # The page shown again goes on from the version just saved (no false conflict next time).
    audit.refresh_from_db()
    assert f'name="base_version" value="{audit.draft_version}"' in page


def test_submit_with_gaps_rerenders_with_messages_and_keeps_everything_typed(world, client):
    audit = _draft(world, criteria=2)
    client.force_login(world.rm)
    data = _grid(["c1", "c2"], [("R-2001", ["no", ""], "late call"), ("Mr Brown", ["yes", "yes"], "")])
    response = client.post(reverse("audits:audit_submit", args=[audit.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The audit was not submitted. Saved 3 answers at " in page and "never named" in page
    assert 'value="Mr Brown"' in page and 'value="late call"' in page
    audit.refresh_from_db()
    assert audit.status == Audit.Status.DRAFT
    assert audit.records.count() == 2


def test_submit_refused_by_the_service_says_the_answers_are_saved_and_they_are(world, client):
    audit = _draft(world, criteria=2)
    client.force_login(world.rm)
    data = _grid(["c1", "c2"], [("R-2001", ["no", ""], "")])
    page = client.post(reverse("audits:audit_submit", args=[audit.pk]), data).content.decode()
    assert "Your answers are saved as a draft (1 answer, at " in page
    client.logout()
    client.force_login(world.rm)  # a fresh sign-in finds them
    page = client.get(reverse("audits:audit_edit", args=[audit.pk])).content.decode()
    assert 'value="R-2001"' in page and 'value="no" data-key="c1" autocomplete="off" checked' in page


def test_submit_through_the_page_locks_and_redirects(world, client):
    audit = _draft(world, criteria=2)
    client.force_login(world.rm)
    data = _grid(["c1", "c2"], [("R-2001", ["yes", "na"], ""), ("R-2002", ["yes", "yes"], "")])
    response = client.post(reverse("audits:audit_submit", args=[audit.pk]), data)
    assert response.status_code == 302 and response["Location"] == audit.get_absolute_url()
    audit.refresh_from_db()
    assert audit.status == Audit.Status.SUBMITTED and audit.compliance == 100.0
    # The edit screen now sends people to the locked record.
    assert client.get(reverse("audits:audit_edit", args=[audit.pk])).status_code == 302


def test_actions_arising_are_raised_from_the_page(world, client):
    theme = ThemeFactory(service=world.service, provider=world.provider)
    audit = _draft(world, criteria=1)
    client.force_login(world.rm)
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    action = {
        "description": "Re-brief the night team",
        "owner": str(world.deputy.pk),
        "due_date": due,
        "target": f"theme:{theme.pk}",
    }
    data = _grid(
        ["c1"], [("R-3001", ["no"], "")], actions=[action], findings="Escalation missed", impact_check_date=due
    )
    response = client.post(reverse("audits:audit_submit", args=[audit.pk]), data)
    assert response.status_code == 302
    arising = audit.actions_arising.get()
    assert arising.action.title == "Re-brief the night team" and arising.action.owner == world.deputy
    audit.refresh_from_db()
    assert audit.is_effective


def test_start_page_opens_the_draft_for_this_week(world, client):
    template = TemplateFactory(provider=world.provider)
    client.force_login(world.rm)
    url = reverse("audits:audit_start", args=[world.service.slug])
    response = client.post(url, {"template": template.pk, "on": timezone.localdate().isoformat()})
    audit = Audit.objects.get()
    assert response["Location"] == reverse("audits:audit_edit", args=[audit.pk])
    assert (
        client.post(url, {"template": template.pk, "on": timezone.localdate().isoformat()})["Location"]
        == (response["Location"])
    )


def test_template_editor_keeps_criteria_order_and_makes_a_new_version_when_used(world, client):
    client.force_login(world.quality)
    data = {
        "title": "Care plan alignment",
        "area": AuditTemplate.Area.CARE_PLANNING,
        "frequency": "weekly",
        "default_sample_size": 8,
        "is_active": "on",
        **formset_data(
            "criteria",
            [{"text": "Second written, asked first"}, {"text": "First written", "guidance": "Check the daily notes"}],
        ),
    }
    response = client.post(reverse("audits:template_create", args=[world.provider.slug]), data)
    template = AuditTemplate.objects.get(title="Care plan alignment")
    assert response["Location"] == reverse("audits:template_detail", args=[template.pk])
    version = template.current_version()
    assert [c.text for c in version.criteria.all()] == ["Second written, asked first", "First written"]

    submitted_audit(service=world.service, auditor=world.rm, template=template)
    keys = [c.key for c in version.criteria.all()]
    swapped = formset_data(
        "criteria",
        [
            {"key": keys[1], "text": "First written", "guidance": "Check the daily notes"},
            {"key": keys[0], "text": "Second written, asked first"},
        ],
    )
    edit = {**data, **swapped, "change_note": "Swapped"}
    client.post(reverse("audits:template_edit", args=[template.pk]), edit)
    v2 = template.current_version()
    assert v2.number == 2 and [c.key for c in v2.criteria.all()] == [keys[1], keys[0]]


def test_template_editor_rerenders_with_an_error_and_keeps_input(world, client):
    client.force_login(world.quality)
    data = {
        "title": "",
        "area": "records",
        "frequency": "weekly",
        "default_sample_size": 5,
        **formset_data("criteria", [{"text": "Kept wording"}]),
    }
    response = client.post(reverse("audits:template_create", args=[world.provider.slug]), data)
    assert response.status_code == 400
    assert 'value="Kept wording"' in response.content.decode()


def test_template_editor_adds_moves_and_removes_criteria_through_htmx_keeping_what_was_typed(world, client):
    client.force_login(world.quality)
    row = client.get(
        reverse("audits:criterion_row", args=[world.provider.slug]),
        {"criteria-TOTAL_FORMS": "2"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert row.count("<li") == 1 and 'name="criteria-2-text"' in row
    assert "autofocus" in row.split('name="criteria-2-text"')[1].split(">")[0]
    assert 'name="criteria-TOTAL_FORMS" value="3"' in row and "Criterion 3 added." in row

    url = reverse("audits:criteria_change", args=[world.provider.slug])
    typed = {"title": "Half typed", **formset_data("criteria", [{"text": "A"}, {"text": "B", "guidance": "b's"}])}
    moved = client.post(url, {**typed, "change": "up:criteria-1"}, HTTP_HX_REQUEST="true").content.decode()
    assert moved.index('value="B"') < moved.index('value="A"') and "b&#x27;s" in moved
    assert 'value="up:criteria-0" autofocus' in moved and "Moved up to position 1." in moved
    removed = client.post(url, {**typed, "change": "remove:criteria-0"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'value="A"' not in removed and 'name="criteria-0-text" value="B"' in removed
    assert 'name="criteria-TOTAL_FORMS" value="1"' in removed and "Criterion removed." in removed
    assert not AuditTemplate.objects.exists()  # nothing is saved until the template is


def test_feed_form_lists_only_measures_the_user_may_edit(world, client):
    template = TemplateFactory(provider=world.provider, criteria=2)
    mine = MeasureFactory(
        name="Escalated on time",
        action=ActionFactory(
            theme=ThemeFactory(service=world.service, provider=world.provider),
            service=world.service,
            provider=world.provider,
        ),
    )
    MeasureFactory(
        name="Sibling measure",
        action=ActionFactory(
            theme=ThemeFactory(service=world.sibling, provider=world.provider),
            service=world.sibling,
            provider=world.provider,
        ),
    )
    client.force_login(world.rm)
    url = reverse("audits:feed_create", args=[template.pk])
    page = client.get(url).content.decode()
    assert "Escalated on time" in page and "Sibling measure" not in page
    response = client.post(url, {"measure": mine.pk, "kind": "compliance", "criterion_keys": ["c2"]})
    assert response.status_code == 302
    assert MeasureFeed.objects.get(measure=mine).criterion_keys == ["c2"]
    submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        answers=[{"c1": "no", "c2": "yes"}],
        findings="c1 gap",
    )
    assert DataPoint.objects.get(measure=mine).value == 100.0


def test_lists_show_which_audits_are_not_effective_and_why(world, client):
    template = TemplateFactory(provider=world.provider, criteria=1)
    submitted_audit(
        service=world.service, auditor=world.rm, template=template, answers=[{"c1": "no"}], findings="Found a gap"
    )
    client.force_login(world.viewer)
    page = client.get(reverse("audits:audit_list", args=[world.service.slug])).content.decode()
    assert "Not effective" in page and "Gaps found but no actions with owners" in page


def test_service_page_panel_offers_this_weeks_audit(world, client):
    TemplateFactory(provider=world.provider, title="Escalation sample")
    client.force_login(world.rm)  # the audits panel is below the fold of the service page
    page = client.get(reverse("core:service_panels_below", args=[world.service.slug, 2])).content.decode()
    assert "Log this week&#x27;s audit" in page or "Log this week's audit" in page
    assert "Escalation sample" in page
    client.force_login(world.viewer)
    page = client.get(reverse("core:service_panels_below", args=[world.service.slug, 2])).content.decode()
    assert "Log this week" not in page and "Escalation sample" in page


def test_start_page_prefills_today_in_a_format_the_date_field_accepts(world, client):
    TemplateFactory(provider=world.provider)
    client.force_login(world.rm)
    page = client.get(reverse("audits:audit_start", args=[world.service.slug])).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in page


def test_a_second_submit_that_loaded_the_draft_before_the_first_locked_it_is_told_so(world, client, monkeypatch):
    """The double click: both requests read the draft before either locks it. The second one
    waits for the row lock, finds the audit submitted, and says so (before: the edit page with
    "correct the marked fields", and under load a 500)."""
    from audits.views import logging as views

    audit = _draft(world, criteria=2)
    stale = Audit.objects.get(pk=audit.pk)  # what the second request loaded
    data = _grid(["c1", "c2"], [("R-2001", ["yes", "yes"], "")])
    client.force_login(world.rm)
    assert client.post(reverse("audits:audit_submit", args=[audit.pk]), data).status_code == 302
    monkeypatch.setattr(views, "_draft", lambda request, pk: stale)
    response = client.post(reverse("audits:audit_submit", args=[audit.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == audit.get_absolute_url()
    assert "already submitted" in response.content.decode()
    autosave = client.post(reverse("audits:audit_autosave", args=[audit.pk]), data)
    assert autosave.status_code == 409
