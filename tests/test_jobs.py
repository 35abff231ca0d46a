"""Every Celery task is registered where the worker finds it.

``celery -A config worker`` imports ``config.celery_app``, whose ``autodiscover_tasks()``
imports ``<app>.tasks`` for each installed app and nothing deeper. A task defined in a
feature package (``governance/packs/tasks.py``) is found only if its app's ``tasks`` module
imports it. This test reads every ``@shared_task`` in the code and compares them with what a
fresh process that loads the app the way the worker does has registered.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.test_layers import LAYERS, ROOT


def _defined_tasks() -> set[str]:
    names = set()
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py") if (ROOT / app).is_dir() else ():
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.FunctionDef):
                    continue
                for dec in node.decorator_list:
                    call = dec if isinstance(dec, ast.Call) else None
                    func = call.func if call else dec
                    if getattr(func, "id", getattr(func, "attr", None)) not in ("shared_task", "task"):
                        continue
                    explicit = [k.value.value for k in (call.keywords if call else []) if k.arg == "name"]
                    names.add(explicit[0] if explicit else f"{module}.{node.name}")
    return names


WORKER_VIEW = """
import json, django
django.setup()
from config.celery_app import app
app.loader.import_default_modules()
print(json.dumps(sorted(n for n in app.tasks if not n.startswith("celery."))))
"""


def test_every_task_is_registered_as_the_worker_loads_the_app():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test")}
    out = subprocess.run(
        [sys.executable, "-c", WORKER_VIEW], cwd=Path(ROOT), env=env, capture_output=True, text=True, check=True
    )
    registered = set(json.loads(out.stdout.strip().splitlines()[-1]))
    defined = _defined_tasks()
    assert defined, "no tasks found: the scan is broken"
    assert defined - registered == set()
