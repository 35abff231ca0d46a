"""Container health probes for processes that serve no HTTP: exits 0 when healthy, 1 otherwise.

    python manage.py probe beat    # beat's heartbeat ran within HEALTH_HEARTBEAT_MAX_AGE_SECONDS
    python manage.py probe ready   # every readiness check (core/health.py), printed one a line

docker-compose.yml's beat healthcheck runs the first; the second is for operators.
"""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import health


class Command(BaseCommand):
    help = "Exit 0 when the named part is healthy (beat: its heartbeat is recent; ready: every check)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["beat", "ready"])

    def handle(self, *args, what: str, **options):
        if what == "beat":
            age = health.heartbeat_age()
            limit = settings.HEALTH_HEARTBEAT_MAX_AGE_SECONDS
            if age is None or age > limit:
                raise CommandError(f"beat: no heartbeat within {limit} s (last: {age and round(age)} s ago)")
            self.stdout.write(f"beat: heartbeat {age:.0f} s ago")
            return
        results = asyncio.run(health._run(health.readiness_checks()))
        for result in results:
            self.stdout.write(f"{type(result.check).__name__}: {result.error or 'OK'}")
        if any(result.error for result in results):
            raise CommandError("not ready")
