"""`crg backup` / `crg restore`: every table as one versioned JSON file.

JSON rather than pg_dump or a copy of the SQLite file, because the same file must restore into
either kind of database (a laptop's SQLite into Heroku's PostgreSQL and back) and stay readable
without the tools that wrote it. The file names its format version and the schema version it was
taken at; a restore accepts it only into an empty database at that same schema, in one
transaction, so a refused or failed restore changes nothing.

Values are written without loss: money as JSON integers (pence), datetimes and dates in ISO
form to the microsecond, booleans as booleans. Rows are written in primary-key order and tables
parents first, so inserting them in file order satisfies every foreign key (a ledger reversal
always points at an earlier entry).
"""
import base64
import importlib
import json
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from peewee import (
    AutoField,
    BlobField,
    DateField,
    DateTimeField,
    DecimalField,
    TimeField,
    UUIDField,
    sort_models,
)

import models
from backend.domain import times
from backend.domain.database import is_postgres, schema_version, upgrade, write_transaction
from backend.domain.errors import Conflict, InvalidInput, SchemaOutdated
from backend.logs import log_event
from models import BaseModel, SchemaVersion, database
from models.migrations import head_version

FORMAT = "crg-backup"
FORMAT_VERSION = 1
BATCH_ROWS = 200

log = logging.getLogger("crg.backup")


@dataclass(frozen=True)
class Summary:
    tables: int
    rows: int
    schema_version: int

    def describe(self) -> str:
        return (f"{self.rows:,} rows in {self.tables} tables (schema version "
                f"{self.schema_version})")


# -- which tables -----------------------------------------------------------------------------

def backed_up_models() -> list[type[BaseModel]]:
    """Every table of the current schema, parents before children.

    Read from the model classes in the `models` package (not from the migrations, whose frozen
    copies of old tables share the live tables' names).
    """
    for info in pkgutil.iter_modules(models.__path__):
        if info.name != "migrations":
            importlib.import_module(f"models.{info.name}")
    found, seen = [], set()
    stack = list(BaseModel.__subclasses__())
    while stack:
        model = stack.pop()
        stack.extend(model.__subclasses__())
        if model.__module__.startswith("models.") and not model.__module__.startswith(
                "models.migrations") and model._meta.table_name not in seen:
            seen.add(model._meta.table_name)
            found.append(model)
    return sort_models(found)


def _check_every_table_is_known(tables: list[type[BaseModel]]) -> None:
    unknown = sorted(set(database.get_tables()) - {m._meta.table_name for m in tables})
    if unknown:
        raise Conflict(f"The database has tables this release does not know "
                       f"({', '.join(unknown)}), so a backup would be incomplete; use the release "
                       "that created them.")


# -- values -----------------------------------------------------------------------------------

def _codec(field) -> tuple[Callable, Callable]:
    """(to JSON, from JSON) for one column; None passes through both."""
    if isinstance(field, DateTimeField):
        return _checked(datetime, datetime.isoformat), datetime.fromisoformat
    if isinstance(field, DateField):
        return _checked(date, date.isoformat), date.fromisoformat
    if isinstance(field, TimeField):
        return _checked(time, time.isoformat), time.fromisoformat
    if isinstance(field, DecimalField):
        return str, Decimal
    if isinstance(field, UUIDField):
        return str, UUID
    if isinstance(field, BlobField):
        return (lambda v: base64.b64encode(bytes(v)).decode("ascii")), base64.b64decode
    return _plain, _plain


def _checked(kind, encode):
    def to_json(value):
        if not isinstance(value, kind) or (kind is date and isinstance(value, datetime)):
            raise Conflict(f"A {kind.__name__} column holds {value!r}, which cannot be backed up "
                           "exactly; nothing was written.")
        return encode(value)
    return to_json


def _plain(value):
    if isinstance(value, float) and value != value:
        raise Conflict("A number column holds NaN, which JSON cannot hold; nothing was written.")
    return value


def _columns(model) -> list:
    return list(model._meta.sorted_fields)


# -- backup -----------------------------------------------------------------------------------

def dump() -> dict:
    """The whole database as a JSON-ready dict (read inside one transaction: a consistent view)."""
    tables = backed_up_models()
    # One snapshot for every table: PostgreSQL's default gives each statement its own.
    snapshot = {"isolation_level": "REPEATABLE READ"} if is_postgres() else {}
    with database.atomic(**snapshot):
        _check_every_table_is_known(tables)
        version = schema_version()
        if version != head_version():
            raise SchemaOutdated(f"The database schema is at version {version} but this "
                                 f"release needs {head_version()}; run `crg db upgrade` before "
                                 "backing up.")
        body = [_dump_table(model) for model in tables]
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "schema_version": version,
            "database": "postgresql" if is_postgres() else "sqlite",
            "created_at": times.now().isoformat(timespec="seconds") + "Z",
            "tables": body}


def _dump_table(model) -> dict:
    fields = _columns(model)
    encoders = [_codec(f)[0] for f in fields]
    order = model._meta.get_primary_keys() or fields
    rows = model.select(*fields).order_by(*order).tuples()
    return {"name": model._meta.table_name, "columns": [f.column_name for f in fields],
            "rows": [[None if v is None else enc(v) for v, enc in zip(row, encoders, strict=True)]
                     for row in rows]}


def summarise(data: dict) -> Summary:
    return Summary(len(data["tables"]), sum(len(t["rows"]) for t in data["tables"]),
                   data["schema_version"])


def to_json(data: dict) -> str:
    """The backup as JSON with one row per line: compact, yet a diff or grep shows rows."""
    def line(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    tables = []
    for table in data["tables"]:
        opening = line({"name": table["name"], "columns": table["columns"]})[:-1]
        rows = ",\n".join(line(row) for row in table["rows"])
        tables.append(f'{opening}, "rows": [\n{rows}\n]}}' if rows else f'{opening}, "rows": []}}')
    header = line({key: value for key, value in data.items() if key != "tables"})[:-1]
    return f'{header}, "tables": [\n' + ",\n".join(tables) + "\n]}\n"


# -- restore ----------------------------------------------------------------------------------

def parse(text: str) -> dict:
    """The backup in `text`, or one sentence saying why it is not one this release can read."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidInput("That file is not a CRG backup: it is not valid JSON.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidInput("That file is not a CRG backup (it has no \"format\": \"crg-backup\").")
    if data.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(f"That backup is in format version {data.get('format_version')}, but "
                           f"this release reads version {FORMAT_VERSION}; restore it with the "
                           "release that wrote it.")
    if not isinstance(data.get("tables"), list) or not isinstance(data.get("schema_version"), int):
        raise InvalidInput("That backup is damaged: its list of tables or schema version is "
                           "missing.")
    return data


def restore(data: dict) -> Summary:
    """Load a parsed backup into an empty database; refuses (changing nothing) otherwise."""
    if data["schema_version"] != head_version():
        raise SchemaOutdated(f"That backup was taken at schema version {data['schema_version']} "
                             f"but this release has version {head_version()}; restore it with "
                             "the release that made it, then upgrade.")
    if schema_version() == 0 and not _data_tables_in_use():
        upgrade()  # a brand-new database: create the schema first, as `crg db upgrade` would
    tables = backed_up_models()
    with write_transaction():
        _check_target(tables)
        _check_shape(data, tables)
        by_name = {t["name"]: t for t in data["tables"]}
        SchemaVersion.delete().execute()  # replaced by the history recorded in the backup
        for model in tables:
            _load_table(model, by_name[model._meta.table_name])
        if is_postgres():
            _reset_sequences(tables)
    summary = summarise(data)
    log_event(log, "restored", tables=summary.tables, rows=summary.rows,
              schema=summary.schema_version)
    return summary


def _data_tables_in_use() -> list[str]:
    return [t for t in database.get_tables() if t != SchemaVersion._meta.table_name]


def _check_target(tables) -> None:
    current = schema_version()
    if current != head_version():
        raise SchemaOutdated(f"The database schema is at version {current} but this release "
                             f"needs {head_version()}; restore only into an empty database or "
                             "one just made with `crg db upgrade`.")
    _check_every_table_is_known(tables)
    holding = [m._meta.table_name for m in tables
               if m is not SchemaVersion and m.select().limit(1).exists()]
    if holding:
        raise Conflict(f"The database is not empty (it already holds {', '.join(holding)}); "
                       "restore only into an empty database. Nothing was changed.")


def _check_shape(data: dict, tables) -> None:
    expected = {m._meta.table_name: [f.column_name for f in _columns(m)] for m in tables}
    found = {t.get("name"): t.get("columns") for t in data["tables"] if isinstance(t, dict)}
    if set(found) != set(expected):
        missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
        raise InvalidInput(f"That backup does not match this schema (missing tables: "
                           f"{', '.join(missing) or 'none'}; unknown tables: "
                           f"{', '.join(map(str, extra)) or 'none'}). Nothing was changed.")
    for name, columns in expected.items():
        if found[name] != columns:
            raise InvalidInput(f"That backup's table {name} has columns {found[name]}, but this "
                               f"schema has {columns}. Nothing was changed.")


def _load_table(model, table: dict) -> None:
    fields = _columns(model)
    decoders = [_codec(f)[1] for f in fields]
    rows = []
    for row in table.get("rows", []):
        if not isinstance(row, list) or len(row) != len(fields):
            raise InvalidInput(f"That backup is damaged: a row of {table['name']} does not have "
                               f"{len(fields)} values. Nothing was changed.")
        rows.append([None if v is None else dec(v) for v, dec in zip(row, decoders, strict=True)])
    for start in range(0, len(rows), BATCH_ROWS):
        model.insert_many(rows[start:start + BATCH_ROWS], fields=fields).execute()


def _reset_sequences(tables) -> None:
    """Rows came in with their ids, so PostgreSQL's counters must move past them."""
    for model in tables:
        pk = model._meta.primary_key
        if isinstance(pk, AutoField):
            table, column = model._meta.table_name, pk.column_name
            database.execute_sql(
                f'SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX("{column}"), 1), '
                f'MAX("{column}") IS NOT NULL) FROM "{table}"', (f'"{table}"', column))
