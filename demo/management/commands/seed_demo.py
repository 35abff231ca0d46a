"""Build the demo: providers, services, people, and each app's recovery data. Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from demo import audits, evidence, flags, reviews, stories, world


class Command(BaseCommand):
    help = "Create (or refresh) the demo providers, people and recovery data. Safe to run twice."

    def handle(self, *args, **options):
        with transaction.atomic():
            people = world.seed()
            evidence.seed(people)
            plans = stories.seed(people)
            audits.seed(people, plans)
            reviews.seed(people, plans)  # after the plans and audits: the reviews discuss their data
            scan = flags.seed(people)  # last: adds the flag stories, then scans everything the others made
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"Flags open after the scan: {sum(scan.raised.values()) + sum(scan.still_open.values())}")
        # SITE_URL if set, else the HOST and PORT `make demo` serves on (config/settings/base.py).
        self.stdout.write(f"Sign in at {settings.SITE_URL}/ with password: {world.DEMO_PASSWORD}")
        for line in world.sign_in_lines():
            self.stdout.write(line)
        self.stdout.write("rm@riverside.example belongs to a separate provider: it sees none of Oakfield's data.")
