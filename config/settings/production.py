"""Production: no insecure defaults. Refuses to start without a real secret key."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
# The .env.example placeholder (and anything like it) is long enough, so refuse it by name.
PLACEHOLDER_PREFIXES = ("change-me", "changeme", "dev-only", "test-only", "django-insecure")
if len(SECRET_KEY) < 50 or SECRET_KEY.lower().startswith(PLACEHOLDER_PREFIXES):
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 50 characters.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
# The provider-level roles and the admins must use a second factor unless told otherwise.
MFA_REQUIRED_ROLES = env.list(
    "MFA_REQUIRED_ROLES", default=["nominated_individual", "quality_lead", "board_member", "staff"]
)
