"""gunicorn.conf.py: the master preloads the app and freezes it before each fork, with no
database connection left open for the workers to share (tests/test_compose_health.py starts
gunicorn as compose does, so the preloading start itself is covered there)."""

import gc
import runpy
from pathlib import Path

from django.db import connection

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_the_app_is_loaded_once_in_the_master():
    assert runpy.run_path(str(CONF))["preload_app"] is True


def test_before_each_fork_connections_are_closed_and_loaded_objects_frozen(transactional_db):
    pre_fork = runpy.run_path(str(CONF))["pre_fork"]
    connection.ensure_connection()
    try:
        pre_fork(server=None, worker=None)
        assert gc.get_freeze_count() > 0
        # SQLite keeps an in-memory test database open (closing it would lose it); PostgreSQL closes.
        assert connection.connection is None or connection.vendor == "sqlite"
    finally:
        gc.unfreeze()
