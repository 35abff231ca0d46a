"""The worker's door to governance jobs.

Celery's ``autodiscover_tasks()`` imports ``<app>.tasks`` for each installed app and nothing
deeper, so this module imports every governance feature's tasks: a feature with jobs is listed
here, and ``tests/test_jobs.py`` fails if a task is defined where the worker cannot find it.
"""

from governance.digests import tasks as digests  # noqa: F401
from governance.flags import tasks as flags  # noqa: F401
from governance.packs import tasks as packs  # noqa: F401
from governance.reviews import tasks as reviews  # noqa: F401
