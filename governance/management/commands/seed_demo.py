"""Build the demo: providers, services, people, and each app's recovery data. Idempotent."""

from django.core.management.base import BaseCommand
from django.db import transaction

from audits import demo as audits_demo
from core import demo as core_demo
from evidence import demo as evidence_demo
from governance import demo as governance_demo
from governance import demo_reviews
from recovery import demo as recovery_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo providers, people and recovery data. Safe to run twice."

    def handle(self, *args, **options):
        with transaction.atomic():
            world = core_demo.seed()
            evidence_demo.seed(world)
            recovery = recovery_demo.seed(world)
            audits_demo.seed(world, recovery)
            demo_reviews.seed(world, recovery)  # after the recovery and audits demos: reviews discuss their data
            flags = governance_demo.seed(world)  # last: scans everything the other demos made
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"Flags open after the scan: {sum(flags.raised.values()) + sum(flags.still_open.values())}")
        self.stdout.write(f"Sign in at http://127.0.0.1:8000/ with password: {core_demo.DEMO_PASSWORD}")
        for line in core_demo.sign_in_lines():
            self.stdout.write(line)
        self.stdout.write("rm@riverside.example belongs to a separate provider: it sees none of Oakfield's data.")
