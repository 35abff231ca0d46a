import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, **env):
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _run(["check"], DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_passes_the_deploy_check_without_warnings():
    key = "k" * 20 + "9f8e7d6c5b4a3210ZYXWVUTSRQponmlkjihgfedcba"
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=key,
        ALLOWED_HOSTS="care.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_dot_env_file_is_read_only_when_asked():
    """Following the README's "copy .env.example to .env" must not change `make demo`/`make test`."""
    import pytest

    dot_env = ROOT / ".env"
    if dot_env.exists():
        pytest.skip("this checkout has its own .env")
    dot_env.write_text("SITE_URL=https://from-dot-env.example\n")
    try:
        show = ["shell", "-c", "from django.conf import settings; print(settings.SITE_URL)"]
        plain = _run(show, DJANGO_SETTINGS_MODULE="config.settings.local")
        asked = _run(show, DJANGO_SETTINGS_MODULE="config.settings.local", DJANGO_READ_DOT_ENV_FILE="true")
    finally:
        dot_env.unlink()
    assert "from-dot-env" not in plain.stdout, plain.stdout + plain.stderr
    assert asked.stdout.strip().endswith("https://from-dot-env.example"), asked.stdout + asked.stderr


def test_site_url_follows_the_served_address_unless_set():
    """Digest links and seed_demo's sign-in address: SITE_URL if set, else `make demo`'s HOST and PORT."""
    show = ["shell", "-c", "from django.conf import settings; print(settings.SITE_URL)"]
    local = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "SITE_URL": ""}
    assert _run(show, **local, HOST="127.0.0.1", PORT="8123").stdout.strip().endswith("http://127.0.0.1:8123")
    assert _run(show, **local, HOST="0.0.0.0", PORT="9000").stdout.strip().endswith("http://127.0.0.1:9000")  # noqa: S104
    set_url = {**local, "SITE_URL": "https://care.example.org/", "PORT": "8123"}
    assert _run(show, **set_url).stdout.strip().endswith("https://care.example.org")
