"""Settings shared by every environment, read from the environment with django-environ.

Every variable is listed, with its default, in the README's configuration table.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is read only when asked (as cookiecutter-django does): a checkout holding the
# compose .env (copied from .env.example) must not turn `make demo` or `make test` into
# production-shaped runs. Real deployments set the environment directly.
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
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
    "django_guid",
    # Second factor (django-otp): TOTP apps and single-use recovery codes; see core/mfa/.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
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
    # The container's own health probes answer before host validation (core/health.py).
    "core.health.HealthProbeMiddleware",
    # A request id for every request, in every log line and in the Celery tasks it queues.
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session given its second factor (django-otp)?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Who looked at what: writes the record a view declared (core/access.py), after the view.
    "core.access.AccessRecordMiddleware",
    # A session that owes its second factor reaches only the code or enrolment page.
    "core.mfa.middleware.SecondFactorMiddleware",
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
# Object storage (django-storages' S3 backend) when a bucket is named: evidence files and packs go
# to S3 or any S3-compatible store, so web and worker hosts share no disk. Objects are private
# (no public ACL, no public URL is ever rendered): downloads still stream through the
# permission-checked views, so every download is checked and recorded, and no signed link can be
# forwarded. Credentials may also come from the usual AWS sources (instance role, ~/.aws).
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "location": env("AWS_LOCATION", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "object_parameters": {"ContentDisposition": "attachment"},
        },
    }
EVIDENCE_MAX_UPLOAD_MB = env.int("EVIDENCE_MAX_UPLOAD_MB", default=20)
# Django refuses request bodies over this before our own check; leave room for the form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Evidence packs: a full pack costing more than PACK_SINGLE_PASS_MEASURES trend charts' worth of
# layout is rendered in chunks of PACK_CHUNK_MEASURES and merged (governance/packs/chunked.py).
PACK_CHUNK_MEASURES = env.int("PACK_CHUNK_MEASURES", default=40)
PACK_SINGLE_PASS_MEASURES = env.int("PACK_SINGLE_PASS_MEASURES", default=200)
# A chunked pack's parts are laid out by every available worker (a Celery group) and merged when
# the last is in (governance/packs/tasks.py); each part's job has its own, shorter time limit.
PACK_DISTRIBUTE = env.bool("PACK_DISTRIBUTE", default=True)
PACK_PART_SOFT_TIME_LIMIT = env.int("PACK_PART_SOFT_TIME_LIMIT", default=180)

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
    "core-heartbeat": {  # beat's liveness (core/health.py); seconds between beats
        "task": "core.heartbeat",
        "schedule": env.float("HEALTH_HEARTBEAT_SECONDS", default=60.0),
    },
    "governance-fill-review-series-daily": {  # recurring reviews planned ahead (a rolling horizon)
        "task": "governance.reviews.tasks.fill_review_series",
        "schedule": crontab(hour=5, minute=30),
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
# Cleared when a sign-in is complete: after the password, or after the code when a second
# factor follows (core/throttling.py defers it; core/mfa/ clears it).
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "core.throttling.username_of"

# Second factor (core/mfa/). People holding a role named in MFA_REQUIRED_ROLES, anywhere, must
# use a TOTP app (with recovery codes); "staff" names Django staff and superusers. A service's
# "require a second factor" flag adds everyone who can reach that service. Anyone may turn it
# on for themselves. Production requires it for the provider-level roles by default.
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=[])
MFA_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = "Recovery governance"
# Keys and recovery codes are never shown in the admin; resets go through the user's page.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

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
# markup (no img request); img-src adds data: for Bootstrap's icons. The service worker
# (/sw.js, offline audits) and the web app manifest are our own files too, said outright.
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
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Who looked at what (core/access.py). The address recorded is REMOTE_ADDR unless
# ACCESS_RECORD_IP_HEADER names the header a proxy you run in front of the app sets (e.g.
# X-Forwarded-For); then the last address in it, the one that proxy added. Never set it
# without such a proxy: a client could write any address it liked.
ACCESS_RECORD_IP_HEADER = env("ACCESS_RECORD_IP_HEADER", default="")
# How long access records are kept. The table is append-only (nothing in the app deletes or
# purges it), so records are kept at least this long; the page states the period.
ACCESS_RECORD_RETENTION_DAYS = env.int("ACCESS_RECORD_RETENTION_DAYS", default=6 * 366)
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


# Absolute address of the app, for links in emails (digests, password resets by jobs) and the
# sign-in address seed_demo prints. Unset, it is the address `make demo` serves: HOST and PORT
# from the environment (the Makefile passes them), so `make demo PORT=8001` links to 8001.
def _served_address() -> str:
    host = env("HOST", default="127.0.0.1") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104 - listening everywhere: this machine answers on loopback
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{env('PORT', default='8000') or '8000'}"


SITE_URL = (env("SITE_URL", default="") or _served_address()).rstrip("/")

# Request ids (django-guid): an incoming X-Request-ID (a UUID, from the proxy) is kept, else one
# is made; it is returned in the response, set on every log record as ``request_id`` and sent
# with each Celery task the request queues, so the worker's log lines carry it too.
from django_guid.integrations import CeleryIntegration  # noqa: E402

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    "IGNORE_URLS": ["healthz", "healthz/ready"],
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)],
}

# Health (core/health.py): /healthz/ is liveness (the database answers); /healthz/ready/ runs
# every check below (django-health-check) and answers 500 when one fails.
HEALTH_QUEUE_MAX_AGE_SECONDS = env.int("HEALTH_QUEUE_MAX_AGE_SECONDS", default=300)
HEALTH_HEARTBEAT_MAX_AGE_SECONDS = env.int("HEALTH_HEARTBEAT_MAX_AGE_SECONDS", default=180)

# Logs: one JSON object a line (LOG_FORMAT=json, production's default) or plain text, each line
# with the request id. The calendar feed's secret is in its URL path: never write it to a log.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(celery_parent_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {
        "mask_secrets": {"()": "core.log_filters.MaskSecretsInPaths"},
        "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
        "celery_tracing": {"()": "django_guid.integrations.celery.log_filters.CeleryTracing"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["mask_secrets", "request_id", "celery_tracing"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"filters": ["mask_secrets"]},
        "django.server": {"filters": ["mask_secrets"]},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "django_guid": {"level": "WARNING"},
    },
}

# Error reporting (optional): set SENTRY_DSN to send unhandled errors of web, worker and beat to
# Sentry (or a compatible service). No personal data is sent: no cookies, bodies or user details.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
