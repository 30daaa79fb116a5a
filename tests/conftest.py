"""Fixtures: every database test runs twice, on a fresh SQLite file and on real PostgreSQL.

PostgreSQL is on 127.0.0.1:5432 with trust auth on these machines; the tests create their own
database and drop it at the end. Where it cannot be reached the PostgreSQL half is skipped with a
visible notice, unless CRG_REQUIRE_POSTGRES=1 (set by .ci/run), which turns that into a failure.
"""
import os
import shutil
import uuid

import peewee
import psycopg2
import pytest

from backend.domain import times
from backend.domain.database import connect_database, upgrade
from models import database
from models.migrations import head_version

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN_URL = os.environ.get("CRG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("CRG_REQUIRE_POSTGRES") == "1"
_pg_problem: list[str] = []


def _admin_connection():
    conn = psycopg2.connect(ADMIN_URL, connect_timeout=3)
    conn.autocommit = True
    return conn


def pytest_report_header(config):
    try:
        _admin_connection().close()
        return f"PostgreSQL: reachable at {ADMIN_URL}; every database test also runs on it"
    except Exception as error:
        _pg_problem.append(str(error).strip())
        verdict = "FAILING (CRG_REQUIRE_POSTGRES=1)" if REQUIRE_POSTGRES else "SKIPPED"
        return f"PostgreSQL: NOT reachable at {ADMIN_URL}: the PostgreSQL half is {verdict}"


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL database for the whole session, upgraded to the current schema."""
    name = f"crg_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = _admin_connection()
    except Exception as error:
        message = f"PostgreSQL is not reachable at {ADMIN_URL}: {error}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    if not database.is_closed():
        database.close()
    if database.obj is not None and hasattr(database.obj, "close_all"):
        database.obj.close_all()
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


_pg_db = {}


def _emptying_sql() -> str:
    """Every table emptied and every id counter back to 1, as TRUNCATE ... RESTART IDENTITY
    would. TRUNCATE of some forty tables takes near half a second, a few minutes of a thousand
    tests; DELETE with the foreign-key triggers off (a superuser's session_replication_role, as
    the tests' trust login is) takes milliseconds."""
    tables = [t for t in database.get_tables() if t != "schema_version"]
    sequences = [name for (name,) in database.execute_sql(
        "SELECT sequence_name FROM information_schema.sequences").fetchall()]
    return ("SET LOCAL session_replication_role = replica; "
            + "; ".join(f'DELETE FROM "{t}"' for t in tables) + "; SELECT "
            + ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences))


def _fresh_postgres(url):
    if url not in _pg_db:
        _pg_db[url] = (connect_database(url), None)
        upgrade()
        _pg_db[url] = (_pg_db[url][0], _emptying_sql())
    db, emptying = _pg_db[url]
    database.initialize(db)
    try:
        with database.atomic():
            database.execute_sql(emptying)
    except peewee.DatabaseError:  # not a superuser (CRG_TEST_POSTGRES_URL): the slow way
        tables = [t for t in database.get_tables() if t != "schema_version"]
        database.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                             + " RESTART IDENTITY CASCADE")
    return url


@pytest.fixture(scope="session")
def _sqlite_upgraded(tmp_path_factory):
    """One SQLite file brought to the current schema; each test starts from a copy of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "crg.db"
    connect_database(f"sqlite:///{path}")
    upgrade()
    database.close()
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """The URL of an empty, current database of each kind (the models are bound to it)."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("_sqlite_upgraded"), tmp_path / "crg.db")
        url = f"sqlite:///{tmp_path}/crg.db"
        connect_database(url)
    else:
        url = _fresh_postgres(request.getfixturevalue("postgres_url"))
    assert head_version() >= 1
    yield url
    if not database.is_closed():
        database.close()


@pytest.fixture
def db(db_url):
    """A fresh database of each kind; the value is its kind ("sqlite" or "postgres")."""
    return "postgres" if db_url.startswith("postgres") else "sqlite"


@pytest.fixture
def frozen_now(monkeypatch):
    """Freeze `backend.times.now()`; call the returned setter to move time."""
    from datetime import datetime

    current = {"now": datetime(2024, 5, 1, 9, 0)}
    monkeypatch.setattr(times, "now", lambda: current["now"])

    def set_now(value: datetime):
        current["now"] = value

    return set_now


SIGNING_SECRET = "test-signing-secret"


@pytest.fixture(scope="session")
def fake_slack():
    """One fake Slack Web API for the session; each test starts it empty."""
    from tests.slack.fake_api import FakeSlackAPI

    with FakeSlackAPI() as fake:
        yield fake


class SlackHarness:
    """The real Flask app with its Slack front, driven by signed requests, talking to the fake."""

    def __init__(self, app, client, fake, settings):
        self.app, self.slack, self.fake, self.settings = app, client, fake, settings

    def no_violations(self):
        assert self.fake.violations == [], self.fake.violations


@pytest.fixture
def slack(db_url, fake_slack):
    from backend.settings import Settings
    from backend.web.app import create_app
    from bot.directory import forget_checks
    from tests.slack.requests import SlackClient

    fake_slack.reset()
    forget_checks()  # every test starts with nobody's name looked at by this process
    settings = Settings(database_url=db_url, slack_bot_token="xoxb-test",
                        slack_signing_secret=SIGNING_SECRET, slack_api_url=fake_slack.base_url,
                        admin_slack_ids=("U_ADMIN",))
    app = create_app(settings)
    harness = SlackHarness(app, SlackClient(app.test_client(), SIGNING_SECRET, fake=fake_slack),
                           fake_slack, settings)
    yield harness
    from bot import background

    try:
        assert background.drain(timeout=15), "Slack messages were still being sent at the end"
    finally:
        background.stop()
    harness.no_violations()


@pytest.fixture
def crg(db_url):
    """Run `crg ...` as a user does (a real process) against this test's database; returns its
    output, or its one-sentence refusal with ok=False."""
    import subprocess
    import sys

    def run(*args, ok=True):
        env = {**os.environ, "DATABASE_URL": db_url}
        done = subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert "Traceback" not in done.stderr, done.stderr
        assert (done.returncode == 0) == ok, (done.returncode, done.stdout, done.stderr)
        return done.stdout if ok else done.stderr.strip()
    return run
