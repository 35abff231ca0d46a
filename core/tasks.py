"""core's jobs: the heartbeat beat sends every minute (see core/health.py)."""

from celery import shared_task

from core import health


@shared_task(name="core.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Run by a worker when beat sends it: proves beat, the broker and a worker are alive."""
    health.record_heartbeat()
