"""The deferred database handle every table binds to.

The tables are declared before anyone knows which database they will live in (SQLite by
default, PostgreSQL when DATABASE_URL says so), so they bind to a proxy that
`backend.domain.database.connect_database` points at the real database at start-up.
"""
from peewee import BlobField, DatabaseProxy, Model

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class BytesField(BlobField):
    """A file's bytes, read back as `bytes` from either database (PostgreSQL's driver hands back
    a memoryview), so a file served, hashed or backed up is the same whichever holds it."""

    def python_value(self, value):
        return bytes(value) if isinstance(value, memoryview) else value
