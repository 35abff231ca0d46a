# Production image, in two stages: wheels are built with the build tools in the first, and the
# runtime stage installs only those wheels, on the runtime requirements (requirements.txt), as a
# non-root user. gunicorn serves the app, whitenoise the static files.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN pip wheel --wheel-dir /wheels -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    LOG_FORMAT=json \
    PORT=8000
# WeasyPrint needs Pango; harfbuzz-subset makes PDF font subsetting about 4x faster.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-index --find-links /wheels -r /tmp/requirements.txt && rm -rf /wheels

RUN useradd --create-home --uid 1000 app && mkdir -p /data/media && chown app /data/media
WORKDIR /app
COPY --chown=app . .
# collectstatic needs settings to import; this throwaway key never reaches a running container.
RUN SECRET_KEY=build-only-collectstatic-key-0123456789abcdefghijklmnopqrstuvwxyz \
    python manage.py collectstatic --no-input -v 0 && chown -R app /app/staticfiles
USER app

EXPOSE 8000
# Liveness: /healthz/ answers the container's own probe whatever ALLOWED_HOSTS says (core/health.py).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz/', timeout=4)"
CMD ["sh", "-c", "exec gunicorn config.wsgi:application --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --timeout 60 --access-logfile -"]
