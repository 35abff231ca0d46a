"""Celery wiring. Settings live in Django settings under the CELERY_ prefix.

With no broker configured (the demo on SQLite) tasks run eagerly in-process, so every
feature that queues work still works without Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("recovery_governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
