"""Anywhere but a laptop, the finance page's sessions must be signed with a key nobody else has:
the development key is printed in the source, so with it anyone could forge an admin's sign-in."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import DEV_SECRET_KEY, Settings, UnsafeSettings
from backend.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
STRONG = "k" * 32
HOW = "heroku config:set SECRET_KEY="


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, "short-key", "x" * 31])
@pytest.mark.parametrize("public_url", ["https://crg.example.org", "", "http://10.0.0.5:3000"])
def test_a_public_deployment_refuses_a_missing_or_short_key(key, public_url):
    with pytest.raises(UnsafeSettings) as refused:
        create_app(Settings(database_url="sqlite:///:memory:", secret_key=key,
                            public_url=public_url))
    assert HOW in refused.value.message and "\n" not in refused.value.message


@pytest.mark.parametrize("public_url", ["http://127.0.0.1:3000", "http://localhost:5000",
                                        "http://[::1]:3000"])
def test_a_laptop_serving_itself_runs_on_the_development_key(public_url):
    Settings(secret_key=DEV_SECRET_KEY, public_url=public_url).require_safe_secret()


def test_a_long_random_key_is_accepted():
    Settings(secret_key=STRONG, public_url="https://crg.example.org").require_safe_secret()
    Settings.from_env({"SECRET_KEY": STRONG, "PUBLIC_URL": "crg.example.org"}).require_safe_secret()


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "PUBLIC_URL", "DYNO")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'crg.db'}", PYTHONPATH=str(ROOT), **extra)
    return env


def _crg(env, *args, timeout=60):
    return subprocess.run([sys.executable, "-m", "backend.cli.main", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["clock", "--once"]])
def test_serve_and_the_clock_refuse_in_one_sentence(tmp_path, command):
    env = _env(tmp_path, PUBLIC_URL="https://crg.example.org")
    assert _crg(env, "db", "upgrade").returncode == 0
    refused = _crg(env, *command)
    assert refused.returncode == 1
    assert HOW in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_gunicorn_stops_instead_of_serving_on_the_development_key(tmp_path):
    env = _env(tmp_path, PUBLIC_URL="https://crg.example.org")
    run = subprocess.run([sys.executable, "-m", "gunicorn", "backend.web.wsgi:app", "--bind",
                          "127.0.0.1:0", "--workers", "1"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert HOW in run.stderr and "Traceback" not in run.stderr
