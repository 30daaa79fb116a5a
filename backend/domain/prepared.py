"""Queries turned into SQL once and run many times with new values.

Peewee builds a query's SQL text afresh every time it runs. On the requests a person (and
Slack) waits on, that building costs more than running the statements: a proposal submission
runs eight of them. A prepared query is built once per kind of database, with named slots where
a run's values go; each run then only binds the values and executes. The SQL is peewee's own,
so quoting, placeholders and `FOR UPDATE` stay right for SQLite and PostgreSQL alike.
"""
import threading

from peewee import AutoField, Value

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
    __slots__ = ("query", "sql", "params")

    def __init__(self, query):
        self.query = query
        self.sql, self.params = database.get_sql_context().sql(query).query()

    def bind(self, values: dict) -> list:
        bound = []
        for param in self.params:
            if isinstance(param, _Slot):
                value = values[param.name]
                bound.append(param.convert(value) if param.convert else value)
            else:
                bound.append(param)
        return bound


class Prepared:
    """A query from `build()`, which uses `slot()` for the values that change between runs.

    `build` is called once per kind of database, so it must depend on nothing else.
    """

    def __init__(self, build):
        self._build = build
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

    def _cursor(self, values: dict):
        compiled = self._for_database()
        return compiled, database.execute_sql(compiled.sql, compiled.bind(values))

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
        before, compiled = first._for_database(), self._for_database()
        cursor = database.execute_sql(before.sql + "; " + compiled.sql,
                                      before.bind(values) + compiled.bind(values))
        return list(compiled.query._get_cursor_wrapper(cursor))


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
