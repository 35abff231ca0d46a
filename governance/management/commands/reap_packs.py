"""Send again or fail stuck evidence packs now: the service beat runs every five minutes.

python manage.py reap_packs
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from governance.packs.stuck import packs_reap


class Command(BaseCommand):
    help = "Re-queue packs stuck in the queue or lost while rendering; fail those out of attempts."

    def handle(self, *args, **options):
        result = packs_reap()
        for label, ids in (
            ("Sent again (waited in the queue)", result.requeued),
            ("Sent again (lost while rendering)", result.restarted),
            ("Failed (out of attempts)", result.failed),
        ):
            self.stdout.write(f"{label}: {len(ids)}" + (f" ({', '.join(map(str, ids))})" if ids else ""))
