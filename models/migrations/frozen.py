"""The base of every table class a migration freezes: the table as it was when the migration was
written, bound to the database only while that migration runs.

A migration must never build its tables from the live classes in `models`: the first column
added to one of them later would then be created by the old migration too, and the migration
that adds it would fail on every fresh install. So each migration keeps its own copy of the
tables it creates (and a stub of each table it points at).
"""
from peewee import Model


class FrozenModel(Model):
    class Meta:
        legacy_table_names = False


def create(database, tables: list, referenced: list = ()) -> None:
    """Create `tables` (frozen classes) in `database`; `referenced` are stubs of the earlier
    migrations' tables their foreign keys point at, bound only so the constraints name them."""
    with database.bind_ctx([*tables, *referenced], bind_refs=False, bind_backrefs=False):
        database.create_tables(tables, safe=False)
