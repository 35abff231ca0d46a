"""Build the benchmark "large provider" (20 services, 2,000 actions, 100,000 data points...)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from governance.scale import LARGE, PASSWORD, SLUG, build_large_provider, large_provider


class Command(BaseCommand):
    help = "Create the large benchmark provider with bulk inserts (audit trail off). Refuses the default database."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow the default db.sqlite3 (not recommended).")

    def handle(self, *args, force=False, **options):
        name = str(settings.DATABASES["default"].get("NAME", ""))
        if name.endswith("db.sqlite3") and not force:
            raise CommandError(
                "Refusing to fill db.sqlite3 with synthetic data. Point DATABASE_URL at a separate database, "
                "e.g. DATABASE_URL=sqlite:////tmp/bench.sqlite3 (after `manage.py migrate`)."
            )
        if large_provider() is not None:
            self.stdout.write(f"The large provider ({SLUG}) already exists.")
            return
        started = time.perf_counter()
        build_large_provider(LARGE)
        self.stdout.write(
            self.style.SUCCESS(f"Built {SLUG} in {time.perf_counter() - started:.1f} s.")
            + f" Sign in as ni@{SLUG}.example / {PASSWORD}"
        )
