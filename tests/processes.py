"""The app's real processes, started the way a deployment starts them, for whole-process tests
and the benchmarks: gunicorn with the Procfile's `web:` options, `crg` commands (the clock,
`db upgrade`), the standalone fake Slack Web API, and throwaway databases on a PostgreSQL server.

Every process is started in its own session, so `stop()` can end it together with its children
(gunicorn's workers) without touching anything else on the machine.
"""
import contextlib
import glob
import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2

from tests.slack.fake_api import Call

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM (a clean stop), then SIGKILL to the process's whole session if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


# -- throwaway databases ----------------------------------------------------------------------

def crg(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run one `crg` command to the end (as `python -m backend.cli`, so no install is needed)."""
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=timeout)


def start_crg(*args: str, env: dict, log_path: Path) -> subprocess.Popen:
    """Start a long-running `crg` command (`crg clock`, say), its output in `log_path`."""
    with open(log_path, "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "backend.cli", *args], cwd=ROOT,
                                env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


@contextlib.contextmanager
def throwaway_database(admin_url: str, prefix: str = "crg_proc"):
    """A new database on the server of `admin_url`, brought to the current schema by
    `crg db upgrade` (the release phase's own command); dropped at the end, connections and all.
    Raises psycopg2.OperationalError when the server cannot be reached."""
    admin = psycopg2.connect(admin_url, connect_timeout=3)
    admin.autocommit = True
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        done = crg("db", "upgrade", env={"DATABASE_URL": url})
        assert done.returncode == 0, f"crg db upgrade failed: {done.stdout}{done.stderr}"
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# -- gunicorn, started as the Procfile starts it ----------------------------------------------

def procfile_web_command(app: str, port: int) -> list[str]:
    """The Procfile's `web:` command, serving `app` on 127.0.0.1:`port`."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    line = next(text for text in lines if text.startswith("web:"))
    words = shlex.split(line.removeprefix("web:").strip())
    words = [app if w == "backend.web.wsgi:app" else w.replace("0.0.0.0:$PORT", f"127.0.0.1:{port}")
             for w in words]
    assert words[0] == "gunicorn" and f"127.0.0.1:{port}" in words
    return [sys.executable, "-m", "gunicorn", *words[1:]]


class Gunicorn:
    """One web process: the Procfile's command on a free loopback port, `workers` workers
    (WEB_CONCURRENCY, as on Heroku), its output in `log_path`; `env` adds settings."""

    def __init__(self, database_url: str, log_path: Path, app: str = "backend.web.wsgi:app",
                 env: dict | None = None, workers: int = 1):
        self.port, self.log_path = free_port(), log_path
        env = {**os.environ, "DATABASE_URL": database_url, "WEB_CONCURRENCY": str(workers),
               "PYTHONPATH": str(ROOT),
               "HOME": str(log_path.parent),  # gunicorn's control socket goes under $HOME
               **(env or {})}
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                procfile_web_command(app, self.port), cwd=ROOT,
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def request(self, method: str, path: str, headers=None, timeout=15.0, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read().decode(), dict(response.getheaders())
        finally:
            conn.close()

    def healthy(self) -> bool:
        return self.request("GET", "/healthz", timeout=5)[0] == 200

    def wait_until(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited:\n{self.log()}"
            try:
                if predicate():
                    return
            except OSError:  # not listening yet
                pass
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; log:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        if children.exists():
            return [int(p) for p in children.read_text().split()]
        pids = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.split("/")[2]))
        return pids

    def stop(self):
        stop(self.proc)


# -- the fake Slack Web API in a process of its own -------------------------------------------

class FakeSlackProcess:
    """`python -m tests.slack.fake_api --port 0 --record FILE`: Slack as a separate process, as
    it is in production, so its work is neither timed with the app's nor sharing its GIL. Every
    call it receives is appended to `record_path`; `calls()` reads them back."""

    def __init__(self, record_path: Path, post_rate: str | None = None):
        self.record_path = Path(record_path)
        rate = ["--post-rate", post_rate] if post_rate else []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.slack.fake_api", "--port", "0",
             "--record", str(self.record_path), *rate],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "READY":
            self.stop()
            raise AssertionError(f"the fake Slack API did not start: {line}")
        self.base_url = line[1]
        self.origin = self.base_url.rsplit("/api/", 1)[0]

    def response_url(self, name: str) -> str:
        """A response_url whose posts the fake records (as method `response_url`)."""
        return f"{self.origin}/response/{name}"

    def calls(self) -> list[Call]:
        """Every call recorded so far (a line still being written is left for the next read)."""
        if not self.record_path.exists():
            return []
        lines = self.record_path.read_text(encoding="utf-8").split("\n")[:-1]
        return [Call.from_json(line) for line in lines if line.strip()]

    def wait_for(self, predicate, timeout: float, what: str):
        """Poll the recording until `predicate(calls)` is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            found = predicate(self.calls())
            if found or time.monotonic() > deadline:
                assert found, f"timed out waiting for {what}"
                return found
            time.sleep(0.1)

    def stop(self):
        stop(self.proc)
