"""Opening the database named by DATABASE_URL, write transactions that lock, and the schema version.

SQLite (the default) runs in WAL mode with a busy timeout; PostgreSQL (Heroku's postgres:// URLs,
sslmode and other query options passed through) uses a connection pool, because a fresh
PostgreSQL connection costs far more than a whole slash-command round trip.
"""
from contextlib import contextmanager
from urllib.parse import urlparse

from peewee import PostgresqlDatabase, SqliteDatabase
from playhouse import db_url

from backend import clock
from backend.errors import SchemaOutdated
from models import SchemaVersion, database
from models.migrations import all_migrations, head_version

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15_000,
    "synchronous": "normal",
}
POOL_OPTIONS = {"max_connections": 20, "stale_timeout": 300, "timeout": 10}


def connect_database(url: str):
    """Build the database for `url` and bind every model to it."""
    db = build_database(url)
    database.initialize(db)
    return db


def build_database(url: str):
    scheme = urlparse(url).scheme
    if scheme in ("postgres", "postgresql", "postgres+pool", "postgresql+pool"):
        pooled = "postgresql+pool" + url[len(scheme):]
        db = db_url.connect(pooled, **POOL_OPTIONS)
    elif scheme == "sqlite":
        db = db_url.connect(url, pragmas=SQLITE_PRAGMAS)
    else:
        raise ValueError(f"DATABASE_URL must start with sqlite:// or postgres://, not {scheme}://")
    return db


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


@contextmanager
def write_transaction():
    """A transaction that takes the write lock at once.

    On SQLite that is BEGIN IMMEDIATE (a deferred transaction could read, then fail to upgrade
    its lock); on PostgreSQL the rows that matter are locked with `locked()`.
    """
    if isinstance(database.obj, SqliteDatabase):
        with database.atomic("IMMEDIATE") as tx:
            yield tx
    else:
        with database.atomic() as tx:
            yield tx


def locked(query):
    """`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's immediate transaction already excludes writers."""
    return query.for_update() if is_postgres() else query


def schema_version() -> int:
    if not database.table_exists(SchemaVersion._meta.table_name):
        return 0
    row = SchemaVersion.select().order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


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
                                 applied_at=clock.now())
            applied.append(f"{migration.version:04d} {migration.name}")
    return applied
