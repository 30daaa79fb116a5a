"""Opening the database named by DATABASE_URL, write transactions that lock, and the schema version.

SQLite (the default) runs in WAL mode with a busy timeout; PostgreSQL (Heroku's postgres:// URLs,
sslmode and other query options passed through) uses a connection pool, because a fresh
PostgreSQL connection costs far more than a whole slash-command round trip.
"""
import logging
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlparse

from peewee import InterfaceError, OperationalError, PostgresqlDatabase, SqliteDatabase
from playhouse import db_url

from backend.domain import times
from backend.domain.errors import DatabaseUnavailable, SchemaOutdated
from backend.logs import log_event
from backend.settings import data_folder
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


POSTGRES_SCHEMES = ("postgres", "postgresql", "postgres+pool", "postgresql+pool")
URL_FORMS = ("a SQLite file (sqlite:///path/to/crg.db) or a PostgreSQL address "
             "(postgres://user:password@host:5432/name)")


def redacted(url: str) -> str:
    """A database URL without its password, fit to print or log."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"


def sqlite_path(url: str) -> Path | None:
    """The file a sqlite:// URL names (None for any other kind)."""
    parsed = urlparse(url)
    if parsed.scheme != "sqlite":
        return None
    return Path(unquote(parsed.path[1:] if parsed.path.startswith("/") else parsed.path))


def describe(url: str) -> str:
    """Which database, in words: where a person can find it."""
    path = sqlite_path(url)
    if path is not None:
        return f"the SQLite file {Path(os.path.abspath(path))}"
    parsed = urlparse(url)
    where = f"{parsed.hostname or 'localhost'}:{parsed.port or 5432}"
    return f"the PostgreSQL database {parsed.path.lstrip('/') or '?'} at {where}"


def _prepare_sqlite_folder(path: Path) -> None:
    """The default file's folder is made when first needed; any other folder must exist."""
    folder = Path(os.path.abspath(path)).parent
    if folder.is_dir():
        return
    if folder == data_folder():
        folder.mkdir(parents=True, exist_ok=True)
        return
    raise DatabaseUnavailable(f"DATABASE_URL names the SQLite file {Path(os.path.abspath(path))}, "
                              f"but there is no folder {folder} to keep it in: make the folder, "
                              "or correct DATABASE_URL.")


# `?prepared_statements=false` on a PostgreSQL address (as Rails spells it): behind PgBouncer in
# transaction mode, such as Heroku's connection pooling, where a statement prepared on one of
# the server's connections is unknown on the next.
PREPARED_OPTION = "prepared_statements"


def _without_option(url: str, name: str) -> tuple[str, str | None]:
    """`url` without the query option `name`, and that option's value (None if absent)."""
    parsed = urlparse(url)
    kept = [(key, value) for key, value in parse_qsl(parsed.query, keep_blank_values=True)
            if key != name]
    found = [value for key, value in parse_qsl(parsed.query, keep_blank_values=True)
             if key == name]
    return parsed._replace(query=urlencode(kept)).geturl(), (found[-1] if found else None)


def build_database(url: str):
    scheme = urlparse(url).scheme
    prepared = False
    if scheme in POSTGRES_SCHEMES:
        url_for_driver, option = _without_option(url, PREPARED_OPTION)
        prepared = (option or "true").strip().lower() not in ("false", "0", "no", "off")
        pooled = "postgresql+pool" + url_for_driver[len(scheme):]
        options = dict(POOL_OPTIONS)
        if "connect_timeout" not in parse_qs(urlparse(url).query):
            options["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        db = db_url.connect(pooled, **options)
    elif scheme == "sqlite":
        path = sqlite_path(url)
        if str(path) and str(path) != ":memory:":
            _prepare_sqlite_folder(path)
        db = db_url.connect(url, pragmas=SQLITE_PRAGMAS)
    else:
        shown = f"“{redacted(url)}”" if url.strip() else "nothing"
        raise DatabaseUnavailable(f"DATABASE_URL must be {URL_FORMS}; {shown} is neither.")
    db.crg_url = url
    db.crg_prepared = prepared  # the hot reads' plans are kept on the server (backend.domain.prepared)
    return db


# What the drivers say when a database cannot be reached, in words (their text varies by
# version and language, so only the telling fragments are matched).
_CAUSES = (
    (("could not translate host name", "name or service not known", "nodename nor servname",
      "temporary failure in name resolution"), "its host name could not be found"),
    (("connection refused",), "the connection was refused (nothing is listening at {where})"),
    (("timeout expired", "timed out"), "it did not answer in time"),
    (("password authentication failed", "no password supplied", "authentication failed"),
     "it refused the user name or password in DATABASE_URL"),
    (("does not exist",), "there is no database of that name there"),
    (("no pg_hba.conf entry", "ssl", "sslmode"), "it refused this connection's security "
                                                 "settings (see ?sslmode= in DATABASE_URL)"),
    (("unable to open database file",), "the file cannot be opened or created (check the "
                                        "folder exists and can be written to)"),
    (("database is locked",), "another process has it locked"),
    (("server closed the connection", "terminating connection", "connection already closed",
      "the database system is starting up", "the database system is shutting down"),
     "it closed the connection (it may be restarting)"),
)


def unavailable_sentence(url: str, error: BaseException | None = None) -> str:
    """One sentence for a database that does not answer, naming it without its password and
    saying why in words rather than the driver's own text."""
    text = " ".join(str(error or "").lower().split())
    parsed = urlparse(url)
    where = f"{parsed.hostname or 'localhost'}:{parsed.port or 5432}"
    cause = next((words.format(where=where) for fragments, words in _CAUSES
                  if any(f in text for f in fragments)), "it did not answer")
    return (f"The database ({describe(url)}) cannot be used because {cause}: check DATABASE_URL "
            "and that the database is running.")


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
                      retry_in=None if last else f"{delay:g}s",
                      problem=unavailable_sentence(_url_of_current(), error))
        finally:
            if not database.is_closed():
                database.close()
        if attempt < attempts:
            time.sleep(delay)
    return False


def _url_of_current() -> str:
    """The URL the bound database was built from (for messages about it)."""
    return getattr(database.obj, "crg_url", "")


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


class Batch:
    """The statements a transaction writes as it commits (its audit records, its messages),
    sent together: one round trip to PostgreSQL for all of them, where each would otherwise wait
    for the one before. SQLite has no round trip to save and runs one statement a call."""

    def __init__(self):
        self._held: list[tuple[str, list]] = []

    def add(self, sql: str, params: list) -> None:
        """A statement whose answer nobody reads, sent with the next `run`."""
        self._held.append((sql, params))

    def run(self, sql: str | None = None, params: list | None = None):
        """Send what was added, then `sql`; the cursor holds `sql`'s answer."""
        held, self._held = self._held + ([(sql, params or [])] if sql else []), []
        if not held:
            return None
        if not is_postgres():
            for one, values in held:
                cursor = database.execute_sql(one, values)
            return cursor
        return database.execute_sql("; ".join(one for one, _ in held),
                                    [value for _, values in held for value in values])


_scopes = threading.local()
# Hooks by name: `before(items, committing, batch)` runs inside the outermost write transaction
# just before it commits (`committing` is False when an enclosing plain transaction will commit
# it later), adding its statements to `batch` or running them with it, and returns what
# `after(result)` gets once the commit is done.
_COMMIT_HOOKS: dict[str, tuple] = {}
# Hooks by name for what must be written however the transaction ends (the record of a refused
# attempt, whose refusal rolls the rest back): `write(items)` runs once it has ended, in a
# transaction of its own.
_END_HOOKS: dict[str, object] = {}


def on_end(name: str, write) -> None:
    """Run `write(items)` with what was gathered under `name` once the outermost write
    transaction has ended, committed or rolled back (or at once, outside any)."""
    _END_HOOKS[name] = write


def on_commit(name: str, before, after=None, *, last: bool = False) -> None:
    """Run `before(items, committing, batch)` just before the outermost write transaction commits
    with the items gathered under `name` (`gather`), and `after(result)` once it has committed.
    A `last` hook runs after the others, so what they added to the batch goes with its own
    statement, in the same round trip."""
    _COMMIT_HOOKS[name] = (before, after, last)
    ordered = sorted(_COMMIT_HOOKS.items(), key=lambda hook: hook[1][2])  # stable: last ones last
    _COMMIT_HOOKS.clear()
    _COMMIT_HOOKS.update(ordered)


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
                committing, batch = database.transaction_depth() == 1, Batch()
                for name, (before, _, _) in _COMMIT_HOOKS.items():
                    results[name] = before(scope.items.get(name, []), committing, batch)
                batch.run()
    except BaseException:
        stack.pop()
        _keep_or_end(stack, scope)
        raise
    stack.pop()
    if stack:
        for name, items in scope.items.items():
            stack[-1].items.setdefault(name, []).extend(items)
        return
    for name, (_, after, _) in _COMMIT_HOOKS.items():
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
