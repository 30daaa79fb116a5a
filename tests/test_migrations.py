"""The schema comes only from migrations, matches the models, and outdated schemas are refused."""
import pytest

from backend.domain.database import check_schema, connect_database, schema_version, upgrade
from backend.domain.errors import SchemaOutdated
from models import BaseModel, SchemaVersion, database
from models.migrations import all_migrations, head_version


def _model_tables():
    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)
    return {m._meta.table_name: m for m in walk(BaseModel)}


def test_upgraded_schema_matches_the_models(db):
    assert schema_version() == head_version() == len(all_migrations())
    tables = _model_tables()
    assert set(database.get_tables()) == set(tables)
    for name, model in tables.items():
        columns = {c.name for c in database.get_columns(name)}
        assert columns == {f.column_name for f in model._meta.sorted_fields}, name


def test_money_columns_are_integers(db):
    for name, model in _model_tables().items():
        for column in database.get_columns(name):
            if column.name.endswith("_pence"):
                assert column.data_type.lower() in ("bigint", "integer"), (name, column)


def test_an_empty_database_is_refused_with_the_fix(tmp_path):
    connect_database(f"sqlite:///{tmp_path}/old.db")
    with pytest.raises(SchemaOutdated, match="version 0 .* Run `crg db upgrade`"):
        check_schema()
    assert upgrade() and upgrade() == []  # the second run has nothing to do
    check_schema()
    SchemaVersion.create(version=head_version() + 1, name="future", applied_at=SchemaVersion.select().first().applied_at)
    with pytest.raises(SchemaOutdated, match="newer"):
        check_schema()
    database.close()


def _shape(db) -> dict:
    """Every table's columns (with type, null and primary key), indexes and foreign keys."""
    shape = {}
    for table in db.get_tables():
        if table == "schema_version":
            continue
        shape[table] = (
            sorted((c.name, c.data_type.lower(), c.null, c.primary_key)
                   for c in db.get_columns(table)),
            sorted((tuple(i.columns), i.unique) for i in db.get_indexes(table)),
            sorted((f.column, f.dest_table, f.dest_column) for f in db.get_foreign_keys(table)),
        )
    return shape


def test_the_frozen_migrations_build_exactly_what_the_live_models_would(tmp_path):
    """Each migration keeps its own copy of its tables; together they must still build the same
    columns, indexes and foreign keys as the live models, so neither can drift from the other."""
    from peewee import SqliteDatabase

    connect_database(f"sqlite:///{tmp_path}/migrated.db")
    upgrade()
    migrated = _shape(database.obj)
    database.close()
    live = SqliteDatabase(str(tmp_path / "live.db"))
    models = list(_model_tables().values())
    with live.bind_ctx(models):
        live.create_tables(models)
    assert migrated == _shape(live)
