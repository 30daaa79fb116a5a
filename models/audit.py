"""The audit trail and the schema version: records about the data rather than the data."""
from peewee import CharField, DateTimeField, IntegerField, TextField

from models.base import BaseModel


class AuditRecord(BaseModel):
    at = DateTimeField(index=True)
    actor = CharField()
    action = CharField()
    entity = CharField()
    entity_id = IntegerField()
    partnership_id = IntegerField(null=True, index=True)
    before = TextField(default="{}")  # JSON
    after = TextField(default="{}")  # JSON

    class Meta:
        indexes = ((("entity", "entity_id"), False),)


class SchemaVersion(BaseModel):
    version = IntegerField()
    applied_at = DateTimeField()
    name = CharField()
