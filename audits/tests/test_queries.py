"""Lists cost the same number of queries whatever their size."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .factories import TemplateFactory, submitted_audit


def _add_audits(world, template, n, offset):
    for i in range(n):
        start = datetime.date(2026, 1, 5) + datetime.timedelta(weeks=offset + i)
        submitted_audit(service=world.service, auditor=world.rm, template=template, period_start=start)


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_audit_list_query_count_does_not_grow(world, client, django_assert_max_num_queries):
    template = TemplateFactory(provider=world.provider)
    _add_audits(world, template, 2, 0)
    client.force_login(world.rm)
    url = reverse("audits:audit_list", args=[world.service.slug])
    small = _queries(client, url)
    _add_audits(world, template, 8, 2)
    TemplateFactory(provider=world.provider)
    with django_assert_max_num_queries(small):
        client.get(url)
    assert _queries(client, url) == small


def test_template_list_and_schedule_query_counts_do_not_grow(world, client, django_assert_max_num_queries):
    TemplateFactory(provider=world.provider)
    client.force_login(world.quality)
    urls = [
        reverse("audits:template_list", args=[world.provider.slug]),
        reverse("audits:schedule", args=[world.service.slug]),
    ]
    small = [_queries(client, u) for u in urls]
    for _ in range(4):
        template = TemplateFactory(provider=world.provider, criteria=5)
        template.services.add(world.service)
    _add_audits(world, template, 3, 0)
    for url, n in zip(urls, small, strict=True):
        with django_assert_max_num_queries(n):
            client.get(url)


def _logged(world, records: int, actions: int):
    """A draft with ``records`` saved records and ``actions`` actions arising, and the grid's POST data."""
    from audits.services import ArisingInput, RecordInput, audit_save_draft
    from recovery.tests.factories import ThemeFactory

    from .factories import AuditFactory, grid_data

    theme = ThemeFactory(service=world.service, provider=world.provider)
    template = TemplateFactory(provider=world.provider, criteria=4)
    audit = AuditFactory(service=world.service, template=template, auditor=world.rm)
    keys = [f"c{i}" for i in range(1, 5)]
    rows = [(f"R-{i}", ["yes", "no", "na", ""], f"note {i}") for i in range(records)]
    arising = [
        {
            "description": f"Step {i}",
            "owner": str(world.deputy.pk),
            "due_date": "2030-01-01",
            "target": f"theme:{theme.pk}",
        }
        for i in range(actions)
    ]
    audit_save_draft(
        actor=world.rm,
        audit=audit,
        records=[RecordInput(ref=r, answers=dict(zip(keys, a, strict=True)), comment=c) for r, a, c in rows],
        actions=[ArisingInput(description=a["description"], owner=world.deputy, theme=theme) for a in arising],
    )
    # What the next autosave posts: every row changed.
    changed = [(ref, ["no", "yes", "yes", "na"], comment + " more") for ref, _, comment in rows]
    return audit, grid_data(keys, changed, arising, findings="Gaps at night")


def _post_queries(client, url, data, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, data, **headers)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_logging_screen_and_autosave_cost_the_same_at_two_sizes(world, client):
    client.force_login(world.rm)
    small, small_data = _logged(world, records=2, actions=1)
    large, large_data = _logged(world, records=12, actions=4)
    edit = [_queries(client, reverse("audits:audit_edit", args=[a.pk])) for a in (small, large)]
    assert edit[0] == edit[1]
    saves = [
        _post_queries(client, reverse("audits:audit_autosave", args=[a.pk]), d, HTTP_HX_REQUEST="true")
        for a, d in ((small, small_data), (large, large_data))
    ]
    assert saves[0] == saves[1]
    assert large.records.get(record_ref="R-11").answers == {"c1": "no", "c2": "yes", "c3": "yes", "c4": "na"}
