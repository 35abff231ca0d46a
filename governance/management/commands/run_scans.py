"""Run the flag scans now, in this process, and print what they did per kind."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from core.models import Provider
from governance.flags.services import ScanResult, flags_scan_provider


class Command(BaseCommand):
    help = "Scan for flags now (synchronously) and print raised / still open / resolved per kind."

    def add_arguments(self, parser):
        parser.add_argument("--provider", help="Only this provider (its slug). Default: every provider.")
        parser.add_argument("--today", help="Scan as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, provider=None, today=None, **options):
        providers = Provider.objects.order_by("name")
        if provider:
            providers = providers.filter(slug=provider)
            if not providers.exists():
                raise CommandError(f"No provider with slug {provider!r}.")
        day = datetime.date.fromisoformat(today) if today else None
        total = ScanResult(provider_id=0)
        for p in providers:
            result = flags_scan_provider(provider=p, today=day)
            total.merge(result)
            self._print(p.name, result)
        if provider is None and providers.count() > 1:
            self._print("All providers", total)

    def _print(self, title: str, result: ScanResult) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(title))
        self.stdout.write(f"  {'Kind':24} {'raised':>7} {'still open':>11} {'resolved':>9}")
        for label, raised, still_open, resolved in result.rows():
            self.stdout.write(f"  {label:24} {raised:>7} {still_open:>11} {resolved:>9}")
        self.stdout.write(
            f"  {'Total':24} {sum(result.raised.values()):>7} {sum(result.still_open.values()):>11} "
            f"{sum(result.resolved.values()):>9}"
        )
