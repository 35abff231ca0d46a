"""Audits as Excel and CSV: the list, every answer, compliance per criterion and actions arising."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from audits.models import AuditActionArising
from recovery.tests.factories import ThemeFactory
from tests.exports_support import assert_sheet_header, csv_rows, sheet_rows, workbook

from .factories import AuditFactory, RecordFactory, TemplateFactory, submitted_audit
from .test_queries import _queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def audits(world):
    template = TemplateFactory(provider=world.provider, title="Escalation – record sample", criteria=2)
    done = submitted_audit(
        service=world.service,
        auditor=world.rm,
        template=template,
        answers=[{"c1": "yes", "c2": "no"}, {"c1": "yes", "c2": "na"}],
        findings="=cmd|' /C calc'!A0",
        period_start=datetime.date(2026, 1, 5),
    )
    theme = ThemeFactory(service=world.service)
    AuditActionArising.objects.create(
        audit=done, order=1, description="Re-train night staff on escalation", owner=world.deputy, theme=theme
    )
    draft = AuditFactory(service=world.service, template=template, auditor=world.lead)
    RecordFactory(audit=draft, record_ref="R-77", answers={"c1": "no"})
    foreign = submitted_audit(service=world.other_service, auditor=world.outsider)
    sibling = submitted_audit(service=world.sibling, auditor=world.quality)
    return {"done": done, "draft": draft, "foreign": foreign, "sibling": sibling}


def _url(fmt, service) -> str:
    return reverse(f"audits:export_{fmt}", kwargs={"service": service.slug})


def test_workbook_holds_audits_answers_compliance_and_actions_arising(world, client, audits):
    client.force_login(world.rm)
    wb = workbook(client.get(_url("xlsx", world.service)))
    assert wb.sheetnames == ["Audits", "Answers", "Compliance by criterion", "Actions arising"]

    ws = wb["Audits"]
    header = [c.value for c in ws[1]]
    assert_sheet_header(ws, header)
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet_rows(ws)[1:]}
    assert set(rows) == {audits["done"].pk, audits["draft"].pk}  # this service only, drafts too (as the list)
    done = rows[audits["done"].pk]
    assert done["Audit"] == "Escalation – record sample"
    assert done["Status"] == "Submitted" and done["Compliance %"] == 66.7
    assert done["Records sampled"] == 2 and done["Actions arising"] == 1
    row = ws[[c.value for c in ws["A"]].index(audits["done"].pk) + 1]
    findings = row[header.index("Findings")]
    assert findings.value == "=cmd|' /C calc'!A0" and findings.data_type == "s"  # text, not a formula
    period_end = row[header.index("Period end")]
    assert period_end.is_date and period_end.value.date() == audits["done"].period_end

    answers = [r for r in sheet_rows(wb["Answers"])[1:] if r[0] == audits["done"].pk]
    assert [(r[4], r[6]) for r in answers] == [(1, "Yes"), (2, "No"), (1, "Yes"), (2, "Not applicable")]
    compliance = {r[3]: r for r in sheet_rows(wb["Compliance by criterion"])[1:] if r[0] == audits["done"].pk}
    assert list(compliance[1][5:]) == [2, 0, 0, 0, 100.0]
    assert list(compliance[2][5:]) == [0, 1, 1, 0, 0.0]
    arising = sheet_rows(wb["Actions arising"])[1]
    assert arising[3] == "Re-train night staff on escalation" and arising[5] == str(world.deputy)


def test_csv_is_the_audit_list_with_a_bom(world, client, audits):
    client.force_login(world.viewer)
    rows = csv_rows(client.get(_url("csv", world.service)))
    assert rows[0][:3] == ["ID", "Audit", "Version"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id[str(audits["done"].pk)][1] == "Escalation – record sample"
    assert by_id[str(audits["done"].pk)][11].startswith("'=")


def test_another_providers_or_services_audits_never_appear(world, client, audits):
    client.force_login(world.rm)
    assert client.get(_url("xlsx", world.other_service)).status_code == 404
    assert client.get(_url("csv", world.sibling)).status_code == 404  # no role there
    client.force_login(world.quality)
    ids = {r[0] for r in csv_rows(client.get(_url("csv", world.sibling)))[1:]}
    assert ids == {str(audits["sibling"].pk)}


def test_audit_list_links_to_the_exports(world, client, audits):
    client.force_login(world.rm)
    html = client.get(reverse("audits:audit_list", args=[world.service.slug])).content.decode()
    assert f'href="{_url("xlsx", world.service)}">Excel</a>' in html
    assert f'href="{_url("csv", world.service)}">CSV</a>' in html


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_queries_do_not_grow(world, client, django_assert_max_num_queries, fmt):
    template = TemplateFactory(provider=world.provider, criteria=4)
    theme = ThemeFactory(service=world.service)

    def add(n, offset):
        for i in range(n):
            start = datetime.date(2026, 1, 5) + datetime.timedelta(weeks=offset + i)
            audit = submitted_audit(
                service=world.service,
                auditor=world.rm,
                template=template,
                period_start=start,
                answers=[{"c1": "yes", "c2": "no", "c3": "na", "c4": "yes"}] * 3,
            )
            AuditActionArising.objects.create(audit=audit, description="Fix", owner=world.deputy, theme=theme)

    add(2, 0)
    client.force_login(world.rm)
    url = _url(fmt, world.service)
    small = _queries(client, url)
    add(8, 2)
    with django_assert_max_num_queries(small):
        client.get(url)
