"""The deploy files: app.json (the Heroku button) and the Procfile describe an app that runs.

app.json is checked against the fields of Heroku's app.json schema (a misspelt key is silently
ignored by Heroku, so it is refused here), and against the settings the code actually reads.
The Procfile's release and web commands are run for real.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import jsonschema
import pytest

from backend.settings import Settings
from tests.test_faults import Gunicorn

ROOT = Path(__file__).resolve().parent.parent

# The top-level and env fields of Heroku's app.json schema
# (https://devcenter.heroku.com/articles/app-json-schema). `repository` is optional there and the
# Deploy button does not need it (it takes the code from its template= address or the GitHub page
# it was pressed on), so app.json leaves it out rather than carry a placeholder.
APP_JSON_SCHEMA = {
    "type": "object",
    "required": ["name", "description", "keywords", "addons", "env", "formation"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 3, "maxLength": 30},
        "description": {"type": "string", "maxLength": 140},
        "keywords": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "website": {"type": "string", "pattern": "^https?://"},
        "repository": {"type": "string", "pattern": "^https://"},
        "logo": {"type": "string"},
        "success_url": {"type": "string"},
        "scripts": {"type": "object"},
        "stack": {"type": "string"},
        "image": {"type": "string"},
        "environments": {"type": "object"},
        "buildpacks": {"type": "array", "items": {
            "type": "object", "required": ["url"], "additionalProperties": False,
            "properties": {"url": {"type": "string"}}}},
        "addons": {"type": "array", "items": {"anyOf": [
            {"type": "string"},
            {"type": "object", "required": ["plan"], "additionalProperties": False,
             "properties": {"plan": {"type": "string"}, "as": {"type": "string"},
                            "options": {"type": "object"}}}]}},
        "env": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["description"], "additionalProperties": False,
            "properties": {"description": {"type": "string", "minLength": 10},
                           "value": {"type": "string"},
                           "required": {"type": "boolean"},
                           "generator": {"enum": ["secret"]}}}},
        "formation": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["quantity"], "additionalProperties": False,
            "properties": {"quantity": {"type": "integer", "minimum": 0},
                           "size": {"type": "string"}}}},
    },
}


@pytest.fixture(scope="module")
def app_json():
    return json.loads((ROOT / "app.json").read_text())


@pytest.fixture(scope="module")
def procfile():
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            kind, _, command = line.partition(":")
            assert kind not in processes, f"{kind} is declared twice"
            processes[kind.strip()] = command.strip()
    return processes


def test_app_json_follows_herokus_schema(app_json):
    jsonschema.validate(app_json, APP_JSON_SCHEMA)
    assert "heroku-postgresql:essential-0" in app_json["addons"]  # the smallest plan, named
    assert "repository" not in app_json and "YOUR-" not in json.dumps(app_json)
    assert {kind: p["quantity"] for kind, p in app_json["formation"].items()} == {"web": 1,
                                                                                  "clock": 1}


def test_app_json_declares_exactly_the_settings_the_code_reads(app_json):
    env = app_json["env"]
    assert set(env) == {f.name.upper() for f in fields(Settings)}
    assert env["SECRET_KEY"]["generator"] == "secret"
    for secret in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        # Left empty at deploy time (the Slack app is made afterwards, with the app's real
        # address, so Slack never sees a placeholder); no default value to leak.
        assert env[secret]["required"] is False and "value" not in env[secret]
        assert "Leave empty now" in env[secret]["description"]
    # Asked for: who may set partnerships up from Slack, and where sign-in links point.
    assert env["ADMIN_SLACK_IDS"]["required"] is True and "value" not in env["ADMIN_SLACK_IDS"]
    assert env["PUBLIC_URL"]["required"] is True and env["PUBLIC_URL"]["value"] == "auto"
    assert "Settings > Domains" in env["PUBLIC_URL"]["description"]
    optional = set(env) - {"SECRET_KEY", "ADMIN_SLACK_IDS", "PUBLIC_URL"}
    assert all(env[name]["required"] is False for name in optional)


def test_procfile_runs_the_web_the_clock_and_migrations_on_release(procfile, app_json):
    assert set(procfile) == {"web", "clock", "release"}
    assert set(app_json["formation"]) <= set(procfile)
    web = shlex.split(procfile["web"])
    assert web[:2] == ["gunicorn", "backend.web.wsgi:app"]
    assert web[web.index("--bind") + 1] == "0.0.0.0:$PORT"
    assert procfile["release"] == "crg db upgrade"
    assert procfile["clock"] == "crg clock"


def test_every_crg_command_in_the_procfile_exists(procfile):
    from backend.cli.main import build_parser

    known = build_parser()._subparsers._group_actions[0].choices
    missing = [c for c in procfile.values() if c.startswith("crg ") and c.split()[1] not in known]
    assert not missing


def test_the_release_then_web_commands_serve_a_fresh_database(procfile, tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/crg.db"}
    release = shlex.split(procfile["release"])
    if shutil.which("crg") is None:  # not pip-installed: run the same entry point
        release = [sys.executable, "-m", "backend.cli", *release[1:]]
    done = subprocess.run(release, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "version" in done.stdout, done.stderr

    server = Gunicorn(env["DATABASE_URL"], tmp_path / "web.log", app="backend.web.wsgi:app")
    try:
        server.wait_until(lambda: server.request("GET", "/healthz")[0] == 200, 20, "/healthz")
        status, body, headers = server.request("GET", "/healthz")
        health = json.loads(body)
        assert health["database"] == "reachable" and health["status"] == "ok"
        assert len(headers["X-Request-ID"]) == 36  # made up here: no router in front
        routed = server.request("GET", "/", headers={"X-Request-ID": "6b1e-router-given"})[2]
        odd = server.request("GET", "/", headers={"X-Request-ID": "not an id"})[2]
    finally:
        server.stop()
    assert routed["X-Request-ID"] == "6b1e-router-given"  # Heroku's id is kept
    assert len(odd["X-Request-ID"]) == 36  # anything odd is replaced
    log = server.log()
    assert "Traceback" not in log
    assert f"request_id={headers['X-Request-ID']} event=request method=GET path=/healthz " \
           "status=200" in log
    assert "request_id=6b1e-router-given event=request method=GET path=/ status=200" in log


def test_a_log_event_is_one_line_even_with_a_traceback():
    import logging

    from backend.logs import LogfmtFormatter, request_context

    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        record = logging.LogRecord("crg.test", logging.ERROR, __file__, 1, "it broke: %s",
                                   ("x=1",), sys.exc_info())
    with request_context("heroku-router-id-42") as request_id:
        line = LogfmtFormatter().format(record)
    assert request_id == "heroku-router-id-42" and "\n" not in line
    assert line.startswith("time=") and " level=error logger=crg.test " in line
    assert ' request_id=heroku-router-id-42 msg="it broke: x=1" traceback="Traceback' in line
    assert "second line" in line


def test_a_web_process_given_an_unusable_database_url_says_why_in_one_line(tmp_path):
    server = Gunicorn("mysql://tracker:s3cret@db.example/crg", tmp_path / "web.log")
    try:
        server.proc.wait(timeout=60)  # it stops, rather than restart workers in a loop
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    log = server.log()
    [line] = [entry for entry in log.splitlines() if "event=database_misconfigured" in entry]
    assert "DATABASE_URL must be a SQLite file" in line and "s3cret" not in log
    assert "Traceback" not in log and server.proc.returncode != 0
