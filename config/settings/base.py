"""Settings shared by every environment, read from the environment with django-environ.

Every variable is listed, with its default, in the README's configuration table.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is optional; real deployments set the environment directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "auditlog",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served locally (no CDN)
    # Our apps, lowest layer first: each may import only from the ones above it.
    "core",
    "evidence",
    "recovery",
    "audits",
    "governance",
    "api",  # the REST API: above governance, imported by nothing
    "demo",  # the demo world and seed_demo: the top layer, imported by nothing
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Axes last, as its docs ask: it turns a lockout into our own page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded evidence. MEDIA_ROOT is never exposed on a URL: files are streamed only by views
# that check the permission policy first (see evidence/views.py).
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/no-public-media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EVIDENCE_MAX_UPLOAD_MB = env.int("EVIDENCE_MAX_UPLOAD_MB", default=20)
# Django refuses request bodies over this before our own check; leave room for the form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Evidence packs: a full pack costing more than PACK_SINGLE_PASS_MEASURES trend charts' worth of
# layout is rendered in chunks of PACK_CHUNK_MEASURES and merged (governance/packs/chunked.py).
PACK_CHUNK_MEASURES = env.int("PACK_CHUNK_MEASURES", default=40)
PACK_SINGLE_PASS_MEASURES = env.int("PACK_SINGLE_PASS_MEASURES", default=200)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Recovery governance <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Redis serves as Celery broker, result store and cache. Unset, Celery runs tasks eagerly
# in-process and the cache is local memory: the embedded demo needs no services.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_TIME_LIMIT = 12 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every job is idempotent (see each tasks.py), so a message is acknowledged only when its task
# has finished, and a task whose worker process died (kill -9, out of memory) goes back on the
# queue for another worker instead of being lost. A pack that keeps killing its worker is
# failed after PACK_RENDER_ATTEMPTS claims, so redelivery cannot loop.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that sends a job must not hang on a broker that is down: connect within
# BROKER_CONNECT_TIMEOUT seconds and do not retry (web code publishes with retry=False and
# ignore_result, see governance/packs/services.py; the reaper sends the job again later).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("BROKER_CONNECT_TIMEOUT", default=2.0)
# Redis redelivers a message not acknowledged within visibility_timeout seconds (a worker killed
# whole). With acks_late a message stays unacknowledged while its task waits for a retry
# countdown (at most core.jobs.RETRY's retry_backoff_max, 600 s) and then runs (at most
# CELERY_TASK_TIME_LIMIT). The timeout must exceed both together, or a long task still running
# would be delivered a second time: 600 + 720 s, rounded up to 30 minutes (Redis's default is 1 h).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=30 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    # The result store's own reconnect loop (20 tries, about 19 s by default) bounded too.
    "retry_policy": {"max_retries": 3, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
# The queue jobs are sent to and taken from: deployments (or test runs) sharing one Redis
# keep apart by naming their own.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
# Stuck packs (governance/packs/stuck.py, run every few minutes by beat): a queued pack not
# taken for PACK_REQUEUE_MINUTES is sent again; a pack still "rendering" past the hard time
# limit plus a minute was lost with its worker and is sent again, until it has been claimed
# PACK_RENDER_ATTEMPTS times; then it is failed, with a "Try again" button.
PACK_REQUEUE_MINUTES = env.int("PACK_REQUEUE_MINUTES", default=5)
PACK_RENDER_ATTEMPTS = env.int("PACK_RENDER_ATTEMPTS", default=3)
# The one beat schedule; each app's scans are added in governance (the top layer).
# Times are CELERY_TIMEZONE (Europe/London). Every job is safe to run twice.
CELERY_BEAT_SCHEDULE: dict = {
    "governance-scan-flags-daily": {
        "task": "governance.flags.tasks.scan_all",
        "schedule": crontab(hour=6, minute=0),
    },
    "governance-weekly-digests": {
        "task": "governance.digests.tasks.send_weekly_digests",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
    },
    "governance-monthly-digests": {
        "task": "governance.digests.tasks.send_monthly_digests",
        "schedule": crontab(hour=7, minute=0, day_of_month="1"),
    },
    "governance-reap-stuck-packs": {
        "task": "governance.packs.reap_stuck_packs",
        "schedule": crontab(minute="*/5"),
    },
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Login throttling (django-axes): lock an account+address pair after AXES_FAILURE_LIMIT
# failures, and an address after AXES_IP_FAILURE_LIMIT failures on any accounts (higher: staff
# of one care home share an address). The pair comes first: core/throttling.py reads that order.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "core.throttling.PairAndAddressHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"

# Audit trail (django-auditlog): who changed what, old -> new, written in the same transaction.
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 10)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4). Scripts: our own files only, never inline or eval
# (htmx's eval and indicator <style> are switched off in base.html's htmx-config). Styles:
# our own stylesheets only for <style>/<link>; inline style="" attributes are allowed
# (style-src-attr), because badges take their colour from data (SPC signals, assurance
# levels). An attribute cannot run script, so scripts stay strict. SVG charts are inline
# markup (no img request); img-src adds data: for Bootstrap's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The REST API (api/): token authentication only (no session, so no CSRF and no redirect to
# sign-in), JSON in and out, per-token rate limits counted in the default cache.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle", "api.throttling.TokenWriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": env("API_RATE_LIMIT", default="600/min"),
        "api_token_write": env("API_WRITE_RATE_LIMIT", default="120/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pages",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.views.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Recovery governance API",
    "DESCRIPTION": "Read the recovery plan, audits, flags and reviews; record measure data. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "MeasureKindEnum": "recovery.measures.models.OutcomeMeasure.Kind",
        "FlagKindEnum": "governance.flags.models.Flag.Kind",
        "ReviewKindEnum": "governance.reviews.models.OversightReview.Kind",
        "CadenceEnum": "core.choices.Cadence",
    },
}

# Product settings.
CLOSURE_PROPOSAL_MAX_WAIT_DAYS = env.int("CLOSURE_PROPOSAL_MAX_WAIT_DAYS", default=14)
SITE_NAME = "Recovery governance"
# Absolute address of the app, for links in emails (digests, password resets by jobs).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # The calendar feed's secret is in its URL path: never write it to a log.
    "filters": {"mask_secrets": {"()": "core.log_filters.MaskSecretsInPaths"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"filters": ["mask_secrets"]},
        "django.server": {"filters": ["mask_secrets"]},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
