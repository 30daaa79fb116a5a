"""Faults a deployment meets, played for real: gunicorn serving the app against a PostgreSQL
cluster of the test's own that is stopped, started late, and whose client is killed mid-write;
and Slack answering 429 or 5xx to the bot's calls.

The cluster is private (initdb into a temporary folder, its own port), because stopping the
shared server on 5432 would break every other test run on the machine. Gunicorn runs with the
Procfile's own options, serving `backend.wsgi`'s app plus two test-only routes (`fault_app()`
below), so the production request hooks, error answers and connection pool are what is tested.
"""
import glob
import http.client
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from tests.processes import Gunicorn
from tests.processes import free_port as _free_port

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_POSTGRES = os.environ.get("CRG_REQUIRE_POSTGRES") == "1"
WRITE_LOCK = 73_017  # the advisory lock the test holds to stop a write half-way
UNAVAILABLE = "The database is not available just now"


# -- what gunicorn serves in these tests ------------------------------------------------------

def fault_app():
    """backend.wsgi's app plus a slow read and a two-step write (test-only routes)."""
    from flask import request

    from backend.domain import partnerships, years
    from backend.domain.actors import command_line
    from backend.domain.database import write_transaction
    from backend.web.wsgi import app
    from models import Partnership, database

    @app.get("/_test/read")
    def _read():
        database.execute_sql("SELECT pg_sleep(%s)", (float(request.args.get("sleep", 0)),))
        return f"{os.getpid()} {Partnership.select().count()}\n"

    @app.post("/_test/write")
    def _write():
        name, operator = request.args["name"], command_line("fault-test")
        with write_transaction():
            partnerships.add_partnership(operator, name, [])
            # Blocks here, inside the transaction, while the test holds the lock.
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            years.open_year(operator, name, "2024/25", 3_966_100)
        return "written\n"

    return app


# -- a private PostgreSQL cluster -------------------------------------------------------------

def _postgres_bin() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(f"{folder}/initdb") and os.path.exists(f"{folder}/pg_ctl"):
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


class PrivateCluster:
    """initdb + pg_ctl in a temporary folder; as the `postgres` user when the tests run as root
    (PostgreSQL refuses to run as root)."""

    def __init__(self, bin_dir: Path):
        self.bin, self.port = bin_dir, _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="crg-faults-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        self.prefix = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool, *args):
        done = subprocess.run([*self.prefix, str(self.bin / tool), *args], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, f"{tool} failed: {done.stdout}{done.stderr}"

    def start(self):
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=30")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "30", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def connect(self):
        conn = psycopg2.connect(self.url, connect_timeout=5)
        conn.autocommit = True
        return conn

    def remove(self):
        if self.running:
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    bin_dir = _postgres_bin()
    if bin_dir is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    if os.geteuid() == 0 and not _has_user("postgres"):
        message = "running as root and there is no `postgres` user to run a cluster as"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    pg = PrivateCluster(bin_dir)
    try:
        pg.start()
        crg = subprocess.run([sys.executable, "-m", "backend.cli", "db", "upgrade"], cwd=ROOT,
                             env={**os.environ, "DATABASE_URL": pg.url}, capture_output=True,
                             text=True, timeout=60)
        assert crg.returncode == 0, crg.stderr
        yield pg
    finally:
        pg.remove()


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture
def running(cluster):
    if not cluster.running:
        cluster.start()
    return cluster


# -- gunicorn, started as the Procfile starts it (tests/processes.py) ----------------------

@pytest.fixture
def gunicorn(tmp_path):
    started = []

    def start(database_url: str, **options) -> Gunicorn:
        server = Gunicorn(database_url, tmp_path / f"gunicorn-{len(started)}.log",
                          **{"app": "tests.test_faults:fault_app()", **options})
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _healthy(server: Gunicorn) -> bool:
    return server.request("GET", "/healthz", timeout=5)[0] == 200


def assert_one_line_logs(log: str):
    assert "Traceback" not in log, log


# -- (a) the database restarts under traffic --------------------------------------------------

def test_a_database_restart_under_traffic_gives_clean_503s_then_recovers(running, gunicorn):
    server = gunicorn(running.url)
    server.wait_until(lambda: _healthy(server), 20, "gunicorn to serve")
    status, body, headers = server.request("GET", "/_test/read",
                                           headers={"X-Request-ID": "heroku-router-id-0001"})
    assert status == 200 and headers["X-Request-ID"] == "heroku-router-id-0001"
    worker = body.split()[0]

    answers, stop = [], threading.Event()

    def traffic():
        while not stop.is_set():
            try:
                answers.append((time.monotonic(), *server.request("GET", "/_test/read?sleep=0.3")))
            except OSError as error:  # a refused or dropped connection would be a failure too
                answers.append((time.monotonic(), "no answer", repr(error), {}))

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        running.stop("fast")  # terminates the sessions of requests in flight
        time.sleep(1.0)
        running.start()
        restarted = time.monotonic()
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=20)

    unclean = [a for a in answers if a[1] not in (200, 503)]
    assert not unclean, unclean
    refused = [a for a in answers if a[1] == 503]
    assert refused, "no request met the stopped database"
    assert all(UNAVAILABLE in body and "reference" in body for _, _, body, _ in refused)
    assert any(a[1] == 200 and a[0] > restarted for a in answers), "no success after restart"

    status, body, _ = server.request("GET", "/_test/read")
    assert status == 200 and body.split()[0] == worker  # the same worker: nothing restarted
    log = server.log()
    assert_one_line_logs(log)
    # Some requests were in flight (inside their query, not connecting) when the server stopped.
    # (Logged as a sentence, not the driver's text: not "refused", which is a new connection.)
    assert re.search(r'event=database_unavailable path=/_test/read problem="(?![^"]*the '
                     r'connection was refused)', log), "no request was caught in flight"
    assert re.search(r"request_id=heroku-router-id-0001 event=request method=GET "
                     r"path=/_test/read status=200", log)
    reference = re.search(r"reference ([0-9a-f-]{36})", refused[-1][2]).group(1)
    assert re.search(rf"request_id={reference} event=database_unavailable", log)


def test_an_unexpected_error_shows_the_reference_its_log_line_carries(db_url):
    import io
    import logging

    from backend.logs import LogfmtFormatter
    from backend.settings import Settings
    from backend.web.app import create_app

    app = create_app(Settings(database_url=db_url))

    @app.get("/_test/boom")
    def _boom():
        raise RuntimeError("kaput")

    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(LogfmtFormatter())
    logging.getLogger().addHandler(handler)
    try:
        response = app.test_client().get("/_test/boom")
    finally:
        logging.getLogger().removeHandler(handler)
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "Traceback" not in body and "kaput" not in body
    reference = re.search(r"reference ([0-9a-f-]{36})", body).group(1)
    assert response.headers["X-Request-ID"] == reference
    error_line = next(line for line in captured.getvalue().splitlines() if "kaput" in line)
    assert f"request_id={reference} " in error_line and "level=error" in error_line


def test_connecting_to_an_unreachable_host_gives_up_in_seconds_not_minutes():
    from backend.domain.database import CONNECT_TIMEOUT_SECONDS, build_database

    assert build_database("postgres://u:p@db.example/crg").connect_params["connect_timeout"] \
        == CONNECT_TIMEOUT_SECONDS <= 10
    chosen = build_database("postgres://u:p@db.example/crg?connect_timeout=12&sslmode=require")
    assert int(chosen.connect_params["connect_timeout"]) == 12  # the URL's own choice wins


# -- (b) the database is down when the app starts ---------------------------------------------

def test_a_database_down_at_start_is_waited_for_then_served(cluster, gunicorn):
    if cluster.running:
        cluster.stop()
    server = gunicorn(cluster.url)
    server.wait_until(lambda: "event=serving_without_database" in server.log(), 30,
                      "the worker to give up waiting and serve")
    status, body, _ = server.request("GET", "/_test/read")
    assert status == 503 and UNAVAILABLE in body
    status, body, _ = server.request("GET", "/healthz")
    assert status == 503 and '"database":"unreachable"' in body.replace(" ", "")

    cluster.start()
    server.wait_until(lambda: _healthy(server), 20, "the app to find the database")
    assert server.request("GET", "/_test/read")[0] == 200
    log = server.log()
    assert_one_line_logs(log)
    attempts = re.findall(r"event=database_unreachable attempt=(\d+)/(\d+)", log)
    assert len(attempts) >= 2 and attempts[-1][0] == attempts[-1][1]  # one line per try
    assert "cannot be used because the connection was refused" in log  # words, not the driver's
    assert log.count("Booting worker") == 1  # no crash loop


# -- (c) a worker killed in the middle of a write ---------------------------------------------

def test_a_worker_killed_mid_write_leaves_no_partial_write(running, gunicorn):
    server = gunicorn(running.url)
    server.wait_until(lambda: _healthy(server), 20, "gunicorn to serve")
    check = running.connect()
    cur = check.cursor()
    cur.execute("SELECT count(*) FROM audit_record")
    audits_before = cur.fetchone()[0]
    cur.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
    outcome = []
    writer = threading.Thread(target=lambda: outcome.append(
        _attempt(server, "POST", "/_test/write?name=Half%20Written%20CSP")))
    writer.start()
    try:
        blocked = []

        def write_is_blocked():
            cur.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            blocked[:] = [row[0] for row in cur.fetchall()]
            return bool(blocked)

        server.wait_until(write_is_blocked, 15, "the write to reach the lock")
        # Its first half is written (it holds a row lock on partnership) but not committed.
        cur.execute("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE l.pid = %s AND c.relname = 'partnership' AND l.mode = "
                    "'RowExclusiveLock'", (blocked[0],))
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM partnership")
        assert cur.fetchone()[0] == 0
        (worker,) = server.worker_pids()
        os.kill(worker, signal.SIGKILL)
        writer.join(timeout=15)
    finally:
        cur.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))

    def session_ended():
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (blocked[0],))
        return cur.fetchone()[0] == 0

    server.wait_until(session_ended, 15, "PostgreSQL to end the dead worker's session")
    assert outcome and outcome[0][0] != 200
    cur.execute("SELECT count(*) FROM partnership")
    assert cur.fetchone()[0] == 0
    cur.execute("SELECT count(*) FROM audit_record")
    assert cur.fetchone()[0] == audits_before

    # gunicorn replaced the worker; the same write, left alone, lands whole.
    server.wait_until(lambda: _healthy(server), 20, "a new worker")
    assert server.request("POST", "/_test/write?name=Whole%20CSP")[:2] == (200, "written\n")
    cur.execute("SELECT count(*) FROM financial_year y JOIN partnership p "
                "ON p.id = y.partnership_id WHERE p.name = 'Whole CSP'")
    assert cur.fetchone()[0] == 1
    check.close()
    assert_one_line_logs(server.log())


def _attempt(server, method, path):
    try:
        return server.request(method, path, timeout=20)
    except (OSError, http.client.HTTPException) as error:  # the worker died under it
        return ("no answer", repr(error), {})


# -- (d) Slack answers 429 or 5xx -------------------------------------------------------------
# make_client's defaults retry every failure, a post too. The outbox's senders (the clock's
# client) differ only for posts Slack may have made (tests at the end).

@pytest.fixture
def slack_settings(fake_slack):
    from backend.settings import Settings

    fake_slack.reset()
    yield Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.base_url)
    fake_slack.reset()


@pytest.fixture
def slack_client(slack_settings):
    from backend.slack.client import make_client

    return lambda **kw: make_client(slack_settings, **kw)


def test_slack_rate_limits_are_waited_out(slack_client, fake_slack):
    fake_slack.rate_limit("chat.postMessage", retry_after=0, times=2)
    assert slack_client().chat_postMessage(channel="C0WG", text="hello")["ok"]
    assert len(fake_slack.calls_to("chat.postMessage")) == 3
    assert fake_slack.violations == []


@pytest.mark.parametrize("status", [500, 503])
def test_slack_server_errors_are_retried(slack_client, fake_slack, status):
    fake_slack.server_error("chat.postMessage", status=status, times=1)
    assert slack_client().chat_postMessage(channel="C0WG", text="hello")["ok"]
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


@pytest.mark.parametrize("status", [502, 504])
def test_slack_gateway_errors_are_retried(slack_client, fake_slack, status):
    fake_slack.server_error("chat.postMessage", status=status, times=1)
    assert slack_client().chat_postMessage(channel="C0WG", text="hello")["ok"]


def test_slack_errors_that_last_are_raised_after_the_retries(slack_client, fake_slack):
    from slack_sdk.errors import SlackApiError

    fake_slack.server_error("chat.postMessage", status=503, times=5)
    with pytest.raises(SlackApiError) as raised:
        slack_client(max_retries=1).chat_postMessage(channel="C0WG", text="hello")
    assert raised.value.response.status_code == 503
    assert len(fake_slack.calls_to("chat.postMessage")) == 2

    fake_slack.reset()
    fake_slack.fail("chat.postMessage", "channel_not_found")  # a refusal is not retried
    with pytest.raises(SlackApiError) as raised:
        slack_client().chat_postMessage(channel="C0WG", text="hello")
    assert raised.value.response["error"] == "channel_not_found"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_what_the_front_calls_while_a_person_waits_is_tried_once_and_briefly(slack_settings,
                                                                            fake_slack):
    """views.open, users.info...: Slack waits three seconds for the answer, and a trigger_id is
    dead after three seconds anyway, so one try with a short timeout, never a blind retry. (The
    web app's posts and DMs go through the outbox's sender, whose client is the clock's.)"""
    from slack_sdk.errors import SlackApiError

    from bot.app import create_bolt_app

    client = create_bolt_app(slack_settings).client
    assert client.timeout <= 2.5 and client.retry_handlers == []
    fake_slack.server_error("views.open", 503)
    with pytest.raises(SlackApiError):
        client.views_open(trigger_id="123.456", view={"type": "modal", "title": {
            "type": "plain_text", "text": "Form"}, "blocks": []})
    assert [c.answered for c in fake_slack.calls_to("views.open")] == ["503"]


@pytest.mark.parametrize("fault", ["reset", 500, 502, 503, 504])
def test_the_clock_client_never_resends_a_post_slack_may_have_made(slack_settings, fake_slack,
                                                                   fault):
    """The clock leaves such a post `unconfirmed` and reads the history before any resend."""
    from backend.slack.client import SLACK_FAILURES
    from jobs.clock import clock_client

    channel = f"C0NORETRY{fault}".upper()  # the session's fake keeps what earlier tests posted
    if fault == "reset":
        fake_slack.reset_connection("chat.postMessage", after_posting=True)
    else:
        fake_slack.server_error("chat.postMessage", fault, after_posting=True)
    with pytest.raises(SLACK_FAILURES):
        clock_client(slack_settings).chat_postMessage(channel=channel, text="reminder")
    assert [c.answered for c in fake_slack.calls_to("chat.postMessage")] == [str(fault)]
    assert [m["text"] for m in fake_slack.posted(channel)] == ["reminder"]  # once


def test_the_clock_client_still_retries_what_cannot_duplicate(slack_settings, fake_slack):
    """Reads are retried on a 5xx or a reset, and a post on a 429 (Slack did nothing)."""
    from jobs.clock import clock_client

    client = clock_client(slack_settings)
    fake_slack.server_error("conversations.history", 503)
    fake_slack.reset_connection("conversations.history")
    assert client.conversations_history(channel="C0CLOCK")["ok"]
    assert [c.answered for c in fake_slack.calls_to("conversations.history")] == [
        "503", "reset", "ok"]
    fake_slack.rate_limit("chat.postMessage", retry_after=0)
    assert client.chat_postMessage(channel="C0RATELIMITED", text="reminder")["ok"]
    assert [c.answered for c in fake_slack.calls_to("chat.postMessage")] == ["429", "ok"]
    assert len(fake_slack.posted("C0RATELIMITED")) == 1


def test_the_clock_client_retries_a_post_whose_connection_never_opened(slack_settings):
    """Refused, or the name did not resolve: the request never left, so a retry is safe."""
    import socket
    from urllib.error import URLError

    from slack_sdk.http_retry.request import HttpRequest
    from slack_sdk.http_retry.state import RetryState

    from jobs.clock import clock_client

    handlers = clock_client(slack_settings).retry_handlers
    post = HttpRequest(method="POST", url=slack_settings.slack_api_url + "chat.postMessage",
                       headers={})

    def retried(error):
        return any(h.can_retry(state=RetryState(), request=post, error=error) for h in handlers)

    assert retried(URLError(ConnectionRefusedError(111, "Connection refused")))
    assert retried(URLError(socket.gaierror(-2, "Name or service not known")))
    assert not retried(ConnectionResetError(104, "Connection reset by peer"))
