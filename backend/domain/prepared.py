"""Queries turned into SQL once and run many times with new values.

Peewee builds a query's SQL text afresh every time it runs. On the requests a person (and
Slack) waits on, that building costs more than running the statements: a proposal submission
runs eight of them. A prepared query is built once per kind of database, with named slots where
a run's values go; each run then only binds the values and executes. The SQL is peewee's own,
so quoting, placeholders and `FOR UPDATE` stay right for SQLite and PostgreSQL alike.
"""
import itertools
import logging
import threading
import weakref

from peewee import AutoField, DatabaseError, InternalError, OperationalError, ProgrammingError, Value

from backend.logs import log_event
from models.base import database


class _Slot:
    """Marks where a run's value goes in the built SQL, and how the value is stored."""

    __slots__ = ("name", "convert")

    def __init__(self, name: str, field=None):
        self.name = name
        self.convert = field.db_value if field is not None else None


def slot(name: str, field=None) -> Value:
    """A value supplied at each run as `name=...`, stored as `field` stores its own values."""
    return Value(_Slot(name, field), converter=False)


class _Compiled:
    __slots__ = ("query", "sql", "params", "server")

    def __init__(self, query):
        self.query = query
        self.sql, self.params = database.get_sql_context().sql(query).query()
        self.server = None  # (PREPARE, EXECUTE) texts, made on first use on the server

    def bind(self, values: dict) -> list:
        bound = []
        for param in self.params:
            if isinstance(param, _Slot):
                value = values[param.name]
                bound.append(param.convert(value) if param.convert else value)
            else:
                bound.append(param)
        return bound

    def on_server(self, cursor) -> tuple[str, str]:
        """PostgreSQL's PREPARE of this query (its fixed values written in, `$n` where each slot
        goes, so the server infers each slot's type from its column) and the EXECUTE that runs
        it, with a `%s` per slot."""
        if self.server is None:
            import psycopg2.extensions

            numbered, slots = [], 0
            for param in self.params:
                if isinstance(param, _Slot):
                    slots += 1
                    numbered.append(psycopg2.extensions.AsIs(f"${slots}"))
                else:
                    numbered.append(param)
            name = f"crg_{next(_NAMES)}"
            written = cursor.mogrify(self.sql, numbered).decode().replace("%", "%%")  # sent as SQL
            self.server = (f"PREPARE {name} AS {written}",
                           f"EXECUTE {name}(" + ", ".join(["%s"] * slots) + ")")
        return self.server

    def bind_slots(self, values: dict) -> list:
        return [value for param, value in zip(self.params, self.bind(values))
                if isinstance(param, _Slot)]


_NAMES = itertools.count(1)
# What each PostgreSQL connection has prepared (a pooled connection lives on between requests;
# a closed one takes its statements with it, and leaves this map by itself).
_prepared_on: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()
_prepared_lock = threading.Lock()
# What PostgreSQL says when a prepared statement is not where this process left it: a pooler in
# transaction mode (PgBouncer) hands each transaction any of its server connections.
_LOST_STATEMENT_CODES = ("26000", "42P05")  # does not exist; already exists

log = logging.getLogger("crg.database")


class StatementLost(DatabaseError):
    """PostgreSQL no longer has a statement this process prepared (or has one of its name
    already): the transaction it was in has failed, and plans are no longer kept on the server."""


def again_if_lost(work):
    """`work()`, and once more if it failed on a lost statement: it then runs without plans on
    the server, so a person's submission behind PgBouncer succeeds instead of failing once per
    process. `work` must be one whole transaction, which the failure rolled back."""
    try:
        return work()
    except StatementLost:
        return work()


class Prepared:
    """A query from `build()`, which uses `slot()` for the values that change between runs.

    `build` is called once per kind of database, so it must depend on nothing else. With
    `on_server`, PostgreSQL also keeps the query's plan, once per connection (PREPARE, then
    EXECUTE): for a read with many sub-selects on a path a person waits on, planning it afresh
    costs more than running it. A database address with `?prepared_statements=false` (behind
    PgBouncer in transaction mode) turns that off.
    """

    def __init__(self, build, *, on_server: bool = False):
        self._build = build
        self._on_server = on_server
        self._compiled: dict[type, _Compiled] = {}
        self._lock = threading.Lock()

    def _for_database(self) -> _Compiled:
        kind = type(database.obj)
        compiled = self._compiled.get(kind)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(kind) or _Compiled(self._build())
                self._compiled[kind] = compiled
        return compiled

    def _statement(self, values: dict) -> tuple[_Compiled, str, list]:
        """The query built for this database, and the SQL and values that run it once."""
        compiled = self._for_database()
        if not (self._on_server and getattr(database.obj, "crg_prepared", False)):
            return compiled, compiled.sql, compiled.bind(values)
        connection = database.connection()
        prepare, execute = compiled.on_server(connection.cursor())
        with _prepared_lock:
            done = _prepared_on.setdefault(connection, set())
        if prepare not in done:
            _execute(prepare, [])
            done.add(prepare)
        return compiled, execute, compiled.bind_slots(values)

    def _cursor(self, values: dict):
        compiled, sql, params = self._statement(values)
        return compiled, _execute(sql, params)

    def rows(self, **values) -> list[tuple]:
        return list(self._cursor(values)[1].fetchall())

    def scalar(self, **values):
        row = self._cursor(values)[1].fetchone()
        return row[0] if row else None

    def objects(self, **values) -> list:
        """The rows as the query's models, joined models attached, as peewee itself would."""
        compiled, cursor = self._cursor(values)
        wrapper = compiled.query._get_cursor_wrapper(cursor)
        return list(wrapper)

    def objects_after(self, first: "Prepared", **values) -> list:
        """`objects()`, run straight after `first` in the same round trip to PostgreSQL: two
        statements in one message, each reading the database as it is when it starts, so this
        one sees what `first` waited for (a lock's holder's commit). SQLite runs one statement
        a call, with no round trip to save: there they run one after the other."""
        if not database.returning_clause:  # SQLite
            first.rows(**values)
            return self.objects(**values)
        _, before, before_params = first._statement(values)
        compiled, sql, params = self._statement(values)
        cursor = _execute(before + "; " + sql, before_params + params)
        return list(compiled.query._get_cursor_wrapper(cursor))


def _execute(sql: str, params: list):
    """Run one message; if PostgreSQL has lost a statement this process prepared, stop keeping
    plans on the server (this process, from now on) and say in the log how to keep it so."""
    try:
        return database.execute_sql(sql, params)
    except (ProgrammingError, OperationalError, InternalError) as error:
        code = getattr(getattr(error, "orig", None), "pgcode", None)
        if code not in _LOST_STATEMENT_CODES or not getattr(database.obj, "crg_prepared", False):
            raise
        database.obj.crg_prepared = False
        with _prepared_lock:  # what it had is not known now: were it turned on again, start afresh
            _prepared_on.pop(database.connection(), None)
        log_event(log, "prepared_statements_off", logging.ERROR,
                  problem="The database lost a statement this process had prepared, as happens "
                          "behind PgBouncer in transaction mode (Heroku's connection pooling): "
                          "add ?prepared_statements=false to DATABASE_URL. This process has "
                          "stopped preparing statements.")
        raise StatementLost(str(error)) from error


def insert_statements(model, rows: list[dict], *, ignore_conflicts: bool = False,
                      whole: bool = False) -> list[tuple[str, list]]:
    """The (sql, params) that insert `rows` (dicts naming the same fields) in few statements:
    peewee's insert_many spends longer building SQL than the database takes to run it. Each
    statement stays within SQLite's limit on values, unless `whole` (one statement, for a caller
    that needs the ids in order). With `ignore_conflicts` a row whose unique key exists is
    skipped."""
    if not rows:
        return []
    fields = [model._meta.fields[name] for name in rows[0]]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    postgres = bool(database.returning_clause)
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    per_statement = len(rows) if whole else max(1, (20_000 if postgres else 900) // len(fields))
    verb = "INSERT OR IGNORE INTO" if ignore_conflicts and not postgres else "INSERT INTO"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts and postgres else ""
    statements = []
    for start in range(0, len(rows), per_statement):
        part = rows[start:start + per_statement]
        statements.append((f'{verb} "{model._meta.table_name}" ({columns}) VALUES '
                           f'{", ".join([one] * len(part))}{tail}',
                           [f.db_value(row[f.name]) for row in part for f in fields]))
    return statements


class PreparedInsert:
    """An insert of every column of a model, for a hot path that writes one row at a time."""

    def __init__(self, model):
        self._model = model
        self._fields = [f for f in model._meta.sorted_fields if not isinstance(f, AutoField)]

        def build():
            query = model.insert({f: slot(f.name, f) for f in self._fields})
            if database.returning_clause:
                query = query.returning(model._meta.primary_key)
            return query

        self._prepared = Prepared(build)

    def create(self, **values):
        """Like `Model.create`: the saved instance, defaults filled in, its new id set."""
        instance = self._model(**values)
        data = {f.name: instance.__data__.get(f.name) for f in self._fields}
        compiled, cursor = self._prepared._cursor(data)
        row = cursor.fetchone() if cursor.description else None
        instance._pk = row[0] if row else cursor.lastrowid
        instance._dirty.clear()
        return instance
