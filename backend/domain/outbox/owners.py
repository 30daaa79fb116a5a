"""Which clock holds a claim, and whether that clock still runs.

Every outbox row is owned by the clock that claimed it (`backend.domain.outbox.claims`). Another
clock may take a row over only when its owner is dead: taking over a live clock's message would
send it twice. So liveness must be certain, not guessed from timeouts where the database can
say. On PostgreSQL each clock holds a session-level advisory lock on its token for as long as it
lives (on its own connection), and the server drops the lock the moment the process dies, so
`pg_try_advisory_lock(token)` succeeding means the owner is gone. On SQLite (one laptop) a claim
older than LEASE is taken to be abandoned.
"""
import logging
import secrets
from datetime import datetime, timedelta

from backend.domain.database import is_postgres
from backend.logs import log_event
from models import database

log = logging.getLogger("crg.outbox")

LOCK_CLASS = 7302  # advisory lock namespace of clock owners (7301 is the migration lock)
LEASE = timedelta(minutes=15)


class Owner:
    """This clock process: a random token, kept alive on PostgreSQL by an advisory lock."""

    def __init__(self, token: int | None = None):
        self.token = token or secrets.randbelow(2**31 - 2) + 1
        self._connection = None

    def start(self) -> "Owner":
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

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @staticmethod
    def gone(tokens: set[int], stale: dict[int, datetime], now: datetime) -> set[int]:
        """Which of these owners no longer run (`stale`: each owner's oldest claim, for SQLite)."""
        if not is_postgres():
            return {t for t in tokens if t is None or stale[t] < now - LEASE}
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
