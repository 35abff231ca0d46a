"""Recompute every outcome measure's stored summary from its data points.

The summary is kept up to date by the services that write points; run this after loading
points any other way (a bulk import, a restore, a hand edit in the database).
"""

from django.core.management.base import BaseCommand

from recovery.measures.services import measure_refresh_summaries
from recovery.models import OutcomeMeasure


class Command(BaseCommand):
    help = "Recompute the stored summary (state, SPC signal, latest value, sparkline) of outcome measures."

    def add_arguments(self, parser):
        parser.add_argument("--provider", help="Only this provider's measures (its slug).")

    def handle(self, *args, provider=None, **options):
        measures = OutcomeMeasure.objects.all()
        if provider:
            measures = measures.filter(provider__slug=provider)
        count = measure_refresh_summaries(measures)
        self.stdout.write(f"Refreshed {count} measure summaries.")
