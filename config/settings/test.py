"""Test settings: the same as development, but fast and predictable."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="test-only-insecure-key-for-pytest-runs-0a8b7c6d5e4f")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Application code enqueues with delay_on_commit; in tests the work runs in-process. The
# Celery worker test (governance) points a real worker at REDIS_URL on its own.
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_FAILURE_LIMIT = 5
# No role needs a second factor in tests unless a test says so (core/mfa/tests/), so the
# personas and demo users sign in with their password alone.
MFA_REQUIRED_ROLES: list[str] = []
# On PostgreSQL the append-only tables refuse TRUNCATE; the test runner's flush between
# transactional tests may empty them in a test_* database when the session says so (core/db.py).
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c recovery.test_flush=on"  # noqa: F405
# Test-only: seconds a pack render pauses before laying out the PDF, so a test can kill the
# worker process mid-render (tests/test_stuck_work.py). Read only here; production has no such hook.
PACK_RENDER_TEST_DELAY = env.float("PACK_RENDER_TEST_DELAY", default=0)
