"""``manage.py backfill_audit_feeds``: give every audit-fed measure the points of past audits.

A feed gets them when it is set up (``feed_create``); feeds of the share of effective audits
set up before that was true had none. Safe to run any number of times (``feed_backfill`` is
idempotent): it prints how many points each feed gained.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from audits.models import MeasureFeed
from audits.services.feeds import feed_backfill


class Command(BaseCommand):
    help = "Add the data points of past submitted audits to every measure an audit feeds (idempotent)."

    def handle(self, *args, **options):
        total = 0
        for feed in MeasureFeed.objects.select_related("measure", "template").order_by("pk"):
            added = feed_backfill(actor=None, feed=feed)
            total += added
            if added:
                self.stdout.write(f"{feed.measure}: {added} point{'s' if added != 1 else ''} added")
        self.stdout.write(f"Done: {total} point{'s' if total != 1 else ''} added.")
