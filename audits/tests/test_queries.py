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
