"""docker-compose.yml's healthchecks pass against the example settings, run outside Docker.

There is no Docker engine here, so each healthcheck's own command (read from the compose file)
runs beside the process it probes, started with that service's own command line and the
environment of `.env.example` (ALLOWED_HOSTS=care.example.org, production settings):
- web: gunicorn as compose starts it; the probe asks http://localhost:8000/healthz/, a host not
  in ALLOWED_HOSTS, and must still pass (and only that path answers a foreign host);
- worker and beat: started as compose starts them against real Redis; the worker answers
  `celery inspect ping` and beat's heartbeat, run by the worker, passes `probe beat`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.processes import CELERY, ROOT, Process, production_env

BIN = Path(sys.executable).parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def example_env() -> dict:
    pairs = (line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines())
    return {k.strip(): v.strip() for k, v in (p for p in pairs if len(p) == 2) if not k.startswith("#")}


def healthcheck(service: str) -> list[str]:
    test = compose()["services"][service]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL"), test
    return test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]


def in_venv(args: list[str]) -> list[str]:
    """The container's `python`/`celery`/`gunicorn` are this virtualenv's."""
    head = {"python": sys.executable, "celery": CELERY, "gunicorn": str(BIN / "gunicorn")}
    return [head.get(args[0], args[0]), *args[1:]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_web_healthcheck_passes_with_the_example_allowed_hosts(tmp_path):
    example = example_env()
    env = production_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", "")
    env.update(ALLOWED_HOSTS=example["ALLOWED_HOSTS"], SITE_URL=example["SITE_URL"], LOG_FORMAT="json")
    env.pop("REDIS_URL")
    port = free_port()
    command = compose()["services"]["web"]["command"].split()
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    web = Process(in_venv(command), env, tmp_path / "web.log")
    probe = [arg.replace("localhost:8000", f"localhost:{port}") for arg in healthcheck("web")]
    try:
        web.wait_for(r"Booting worker", timeout=60)
        deadline = time.monotonic() + 30
        while True:
            result = subprocess.run(in_venv(probe), capture_output=True, text=True, timeout=10)
            if result.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert result.returncode == 0, result.stderr + web.text()[-3000:]
        # Any other path for that host is still refused by host validation.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://localhost:{port}/accounts/login/", timeout=5)
        assert refused.value.code == 400
    finally:
        code = web.stop()
    assert code == 0, web.text()[-2000:]
    assert '"request_id"' in web.text() or "Booting worker" in web.text()


def test_worker_and_beat_healthchecks_pass(services, tmp_path):
    env = production_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", services)
    env.update(HEALTH_HEARTBEAT_SECONDS="1", CELERY_QUEUE=f"health-{os.getpid()}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    worker_cmd = compose()["services"]["worker"]["command"].split()
    beat_cmd = compose()["services"]["beat"]["command"].split()
    beat_cmd[beat_cmd.index("--schedule") + 1] = str(tmp_path / "schedule")
    worker = Process(in_venv(worker_cmd), env, tmp_path / "worker.log")
    beat = Process(in_venv(beat_cmd), env, tmp_path / "beat.log")
    try:
        worker.wait_for(r"celery@\S+ ready", timeout=90)
        deadline = time.monotonic() + 60
        while True:
            result = subprocess.run(
                in_venv(healthcheck("beat")), cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
            )
            if result.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert result.returncode == 0, result.stderr + beat.text()[-2000:] + worker.text()[-2000:]
        ping = subprocess.run(
            in_venv(healthcheck("worker")),
            cwd=ROOT,
            env={**env, "PATH": f"{BIN}:{env['PATH']}"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ping.returncode == 0, ping.stdout + ping.stderr
    finally:
        beat.stop()
        worker.stop()
