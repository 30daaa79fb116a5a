"""Which process holds a claim on an outbox message, and whether that process still runs.

Every outbox row is owned by the sender that claimed it: a clock, or a web (or Socket Mode)
process sending what its own requests wrote. Another sender may take a row over only when its
owner is dead: taking over a live sender's message would send it twice. So liveness must be
certain, not guessed from timeouts where it can be known. On PostgreSQL each sender holds a
session-level advisory lock on its token for as long as it lives (on its own connection), and
the server drops the lock the moment the process dies, so `pg_try_advisory_lock(token)`
succeeding means the owner is gone. On SQLite (one machine) each sender writes where it runs
(`OutboxSender`: host, pid and the kernel's start time of that pid), so a sender on this machine
whose process is gone is known dead at once; otherwise a claim older than LEASE is taken to be
abandoned.
"""
import logging
import os
import secrets
import socket
from datetime import datetime, timedelta

from backend.domain import times
from backend.domain.database import is_postgres, write_transaction
from backend.logs import log_event
from models import OutboxSender, database

log = logging.getLogger("crg.outbox")

LOCK_CLASS = 7302  # advisory lock namespace of clock owners (7301 is the migration lock)
LEASE = timedelta(minutes=15)


def _process_started(pid: int) -> str:
    """The kernel's start time of a running process (clock ticks since boot), or "" where there
    is no /proc or the process has ended: with the pid, it names one process, since pids are
    reused. A killed process whose parent died too can stay a zombie (state Z) until something
    reaps it, which in a container may be never: it runs no code and sends nothing."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return ""
    if len(fields) < 20 or fields[0] in ("Z", "X", "x"):
        return ""
    return fields[19]


class Owner:
    """This sending process: a random token, kept alive on PostgreSQL by an advisory lock, and
    described by where it runs (for SQLite)."""

    def __init__(self, token: int | None = None, role: str = "clock"):
        self.token = token or secrets.randbelow(2**31 - 2) + 1
        self.role = role
        self._connection = None
        self._registered = False

    def start(self) -> "Owner":
        if not is_postgres():
            self._register()
        if is_postgres() and self._connection is None:  # SQLite needs no lock (see LEASE)
            import psycopg2

            db = database.obj
            self._connection = psycopg2.connect(dbname=db.database, **db.connect_params)
            self._connection.autocommit = True
            with self._connection.cursor() as cur:
                while True:  # a token another clock holds (one chance in two billion): another
                    cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self.token))
                    if cur.fetchone()[0]:
                        break
                    self.token = secrets.randbelow(2**31 - 2) + 1
        return self

    def ensure(self) -> "Owner":
        """Take the lock again if its connection was lost (the server restarted, say).

        Meanwhile another clock may have judged this one dead and taken its unsent claims: every
        state change is a compare-and-set on the owner, so this clock then simply loses them.
        """
        if self._connection is None:
            return self.start()
        try:
            with self._connection.cursor() as cur:
                cur.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - any failure means the lock is gone with it
            log_event(log, "clock_owner_reconnecting", logging.WARNING, owner=self.token,
                      detail="lost its database connection; locking again")
            self._connection = None
            self.start()
        return self

    def _register(self) -> None:
        if self._registered:
            return
        pid = os.getpid()
        with write_transaction():
            OutboxSender.insert(token=self.token, host=socket.gethostname(), pid=pid,
                                process_started=_process_started(pid), role=self.role,
                                started_at=times.now()).on_conflict_replace().execute()
        self._registered = True

    def close(self) -> None:
        """This sender stops: a claim it still holds is anyone's at once."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._registered:
            with write_transaction():
                OutboxSender.delete().where(OutboxSender.token == self.token).execute()
            self._registered = False

    @staticmethod
    def gone(tokens: set[int], stale: dict[int, datetime], now: datetime) -> set[int]:
        """Which of these owners no longer run (`stale`: each owner's oldest claim, for SQLite)."""
        if not is_postgres():
            return {t for t in tokens if t is None or _gone_here(t, stale[t], now)}
        dead = set()
        for token in tokens:
            if token is None:
                dead.add(token)
                continue
            got = database.execute_sql("SELECT pg_try_advisory_lock(%s, %s)",
                                       (LOCK_CLASS, token)).fetchone()[0]
            if got:
                database.execute_sql("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, token))
                dead.add(token)
        return dead


def _gone_here(token: int, oldest_claim: datetime, now: datetime) -> bool:
    """SQLite: a sender on this machine is gone when its process is; one that stopped cleanly
    left no row; one elsewhere is gone once its oldest claim is older than LEASE."""
    sender = OutboxSender.get_or_none(OutboxSender.token == token)
    if sender is None:
        return oldest_claim < now - LEASE if token else True
    if sender.host == socket.gethostname() and sender.process_started:
        return _process_started(sender.pid) != sender.process_started
    return oldest_claim < now - LEASE
