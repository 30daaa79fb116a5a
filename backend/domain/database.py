"""Opening the database named by DATABASE_URL, write transactions that lock, and the schema version.

SQLite (the default) runs in WAL mode with a busy timeout; PostgreSQL (Heroku's postgres:// URLs,
sslmode and other query options passed through) uses a connection pool, because a fresh
PostgreSQL connection costs far more than a whole slash-command round trip.
"""
import logging
import threading
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

from peewee import InterfaceError, OperationalError, PostgresqlDatabase, SqliteDatabase
from playhouse import db_url

from backend.domain import times
from backend.domain.errors import SchemaOutdated
from backend.logs import log_event, one_line
from models import SchemaVersion, database
from models.migrations import all_migrations, head_version

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15_000,
    "synchronous": "normal",
}
POOL_OPTIONS = {"max_connections": 20, "stale_timeout": 300, "timeout": 10}
# Without it a connection to an unreachable host hangs for minutes (the TCP default) instead of
# failing in time for a clean "try again" answer. A connect_timeout in the URL wins.
CONNECT_TIMEOUT_SECONDS = 5
# What a database that is down, restarting or unreachable raises (driver errors wrapped by peewee).
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)

log = logging.getLogger("crg.database")


def connect_database(url: str):
    """Build the database for `url` and bind every model to it."""
    db = build_database(url)
    database.initialize(db)
    return db


def build_database(url: str):
    scheme = urlparse(url).scheme
    if scheme in ("postgres", "postgresql", "postgres+pool", "postgresql+pool"):
        pooled = "postgresql+pool" + url[len(scheme):]
        options = dict(POOL_OPTIONS)
        if "connect_timeout" not in parse_qs(urlparse(url).query):
            options["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        db = db_url.connect(pooled, **options)
    elif scheme == "sqlite":
        db = db_url.connect(url, pragmas=SQLITE_PRAGMAS)
    else:
        raise ValueError(f"DATABASE_URL must start with sqlite:// or postgres://, not {scheme}://")
    return db


def wait_for_database(attempts: int = 30, delay: float = 2.0) -> bool:
    """Wait until the database answers, logging one plain line per failed attempt.

    A process that starts while its database is down (a Heroku Postgres maintenance, both
    restarting together) should say so and keep trying, not crash with a traceback and be
    restarted in a loop. Returns False if it never answered; the caller decides what then.
    """
    for attempt in range(1, attempts + 1):
        try:
            database.connect(reuse_if_open=True)
            database.execute_sql("SELECT 1")
            if attempt > 1:
                log_event(log, "database_reachable", attempt=attempt)
            return True
        except UNAVAILABLE_ERRORS as error:
            last = attempt == attempts
            log_event(log, "database_unreachable", logging.ERROR if last else logging.WARNING,
                      attempt=f"{attempt}/{attempts}",
                      retry_in=None if last else f"{delay:g}s", error=one_line(error))
        finally:
            if not database.is_closed():
                database.close()
        if attempt < attempts:
            time.sleep(delay)
    return False


def is_configured() -> bool:
    """Whether this process has a database to use yet (`connect_database` was called)."""
    return database.obj is not None


def ensure_connected() -> None:
    """Open this thread's connection (from the pool on PostgreSQL) unless it is open already."""
    database.connect(reuse_if_open=True)


def return_to_pool() -> None:
    """At the end of a web request: PostgreSQL's connection goes back to the pool (a dead one is
    dropped). SQLite's stays with its thread, since reopening re-reads the schema and pragmas."""
    if is_postgres():
        release_connection()


def release_connection() -> None:
    """Give this thread's connection back (to the pool on PostgreSQL) when its work is done."""
    if not database.is_closed():
        database.close()


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


class _Scope:
    """What one write transaction has gathered to be written just before it commits (messages
    for the outbox, say): kept per nesting level, so a savepoint rolled back takes its own
    gatherings with it, and merged into the level above when it succeeds."""

    def __init__(self):
        self.items: dict[str, list] = {}


_scopes = threading.local()
# Hooks by name: `before(items, committing)` runs inside the outermost write transaction just
# before it commits (`committing` is False when an enclosing plain transaction will commit it
# later), and returns what `after(result)` gets once the commit is done.
_COMMIT_HOOKS: dict[str, tuple] = {}
# Hooks by name for what must be written however the transaction ends (the record of a refused
# attempt, whose refusal rolls the rest back): `write(items)` runs once it has ended, in a
# transaction of its own.
_END_HOOKS: dict[str, object] = {}


def on_end(name: str, write) -> None:
    """Run `write(items)` with what was gathered under `name` once the outermost write
    transaction has ended, committed or rolled back (or at once, outside any)."""
    _END_HOOKS[name] = write


def on_commit(name: str, before, after=None) -> None:
    """Run `before(items)` just before the outermost write transaction commits with the items
    gathered under `name` (`gather`), and `after(result)` once it has committed."""
    _COMMIT_HOOKS[name] = (before, after)


def gather(name: str, item) -> None:
    """Add `item` to what the current write transaction writes under `name` as it commits."""
    stack = getattr(_scopes, "stack", None)
    if not stack:
        raise RuntimeError("gather() outside a write transaction")
    stack[-1].items.setdefault(name, []).append(item)


def in_write_transaction() -> bool:
    return bool(getattr(_scopes, "stack", None))


@contextmanager
def write_transaction():
    """A transaction that takes the write lock at once.

    On SQLite that is BEGIN IMMEDIATE (a deferred transaction could read, then fail to upgrade
    its lock); on PostgreSQL the rows that matter are locked with `locked()`. What was gathered
    inside it (`gather`) is written by its hook just before the outermost one commits, so it
    stands or falls with the change it belongs to.
    """
    stack = _scopes.__dict__.setdefault("stack", [])
    scope = _Scope()
    stack.append(scope)
    results = {}
    try:
        lock = "IMMEDIATE" if isinstance(database.obj, SqliteDatabase) else None
        with (database.atomic(lock) if lock else database.atomic()) as tx:
            yield tx
            if len(stack) == 1:
                committing = database.transaction_depth() == 1
                for name, (before, _) in _COMMIT_HOOKS.items():
                    results[name] = before(scope.items.get(name, []), committing)
    except BaseException:
        stack.pop()
        _keep_or_end(stack, scope)
        raise
    stack.pop()
    if stack:
        for name, items in scope.items.items():
            stack[-1].items.setdefault(name, []).extend(items)
        return
    for name, (_, after) in _COMMIT_HOOKS.items():
        if after is not None and results.get(name):
            after(results[name])
    _keep_or_end(stack, scope)


def _keep_or_end(stack: list, scope: _Scope) -> None:
    """What must outlive the transaction goes up a level, or, at the top, is written now."""
    for name, write in _END_HOOKS.items():
        items = scope.items.get(name)
        if not items:
            continue
        if stack:
            stack[-1].items.setdefault(name, []).extend(items)
        else:
            write(items)


def locked(query, of=None):
    """`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's immediate transaction already excludes writers."""
    return query.for_update(of=of) if is_postgres() else query


def schema_version() -> int:
    if not database.table_exists(SchemaVersion._meta.table_name):
        return 0
    row = SchemaVersion.select().order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


def schema_version_at_boot() -> int:
    """The schema version, on a connection opened and closed for just this question."""
    with database.connection_context():
        return schema_version()


def check_schema() -> None:
    """Refuse to run on a schema this release does not match, naming the fix."""
    current, head = schema_version(), head_version()
    if current < head:
        raise SchemaOutdated(f"The database schema is at version {current} but this release needs "
                             f"{head}. Run `crg db upgrade` first.")
    if current > head:
        raise SchemaOutdated(f"The database schema is at version {current}, newer than this "
                             f"release knows ({head}). Install the newer release.")


def upgrade() -> list[str]:
    """Apply every pending migration, each in its own transaction; returns what was applied."""
    from playhouse.migrate import SchemaMigrator

    applied = []
    with write_transaction():
        if is_postgres():  # two release processes at once must not both migrate
            database.execute_sql("SELECT pg_advisory_xact_lock(7301)")
        if not database.table_exists(SchemaVersion._meta.table_name):
            database.create_tables([SchemaVersion])
    for migration in all_migrations():
        with write_transaction():
            if is_postgres():
                database.execute_sql("SELECT pg_advisory_xact_lock(7301)")
            if schema_version() >= migration.version:
                continue
            migration.module.upgrade(database.obj, SchemaMigrator.from_database(database.obj))
            SchemaVersion.create(version=migration.version, name=migration.name,
                                 applied_at=times.now())
            applied.append(f"{migration.version:04d} {migration.name}")
    return applied
