"""Who holds which role in which partnership."""
from peewee import CharField, DateTimeField, ForeignKeyField

from models.base import BaseModel
from models.grant import Partnership


class Member(BaseModel):
    partnership = ForeignKeyField(Partnership, backref="members")
    slack_user_id = CharField(index=True)
    role = CharField()  # admin, chair, member, finance or partner
    granted_by = CharField()
    granted_at = DateTimeField()

    class Meta:
        indexes = ((("partnership", "slack_user_id"), True),)
