"""Deadlines, per-partnership reminder settings and template, and the record of reminders sent.

The tables as they were at version 2, frozen here (see `models.migrations.frozen`).
"""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from models.migrations.frozen import FrozenModel, create


class Partnership(FrozenModel):  # made by m0001
    pass


class FinancialYear(FrozenModel):  # made by m0001
    pass


class ReminderSettings(FrozenModel):
    partnership = ForeignKeyField(Partnership, unique=True, backref="reminder_settings")
    offsets = CharField(default="14,7,1,0")
    send_time = CharField(default="09:00")
    digest_weekday = IntegerField(default=0)
    bank_holidays = CharField(default="england-and-wales")
    closed_days = TextField(default="")
    own_template = BooleanField(default=False)
    updated_by = CharField(default="")
    updated_at = DateTimeField(null=True)


class DeadlineTemplate(FrozenModel):
    partnership = ForeignKeyField(Partnership, backref="deadline_template")
    position = IntegerField()
    kind = CharField()
    title = TextField()
    month = IntegerField()
    day = IntegerField()
    time = CharField(default="17:00")
    after_year_end = BooleanField(default=False)

    class Meta:
        indexes = ((("partnership", "position"), True),)


class Deadline(FrozenModel):
    partnership = ForeignKeyField(Partnership, backref="deadlines")
    year = ForeignKeyField(FinancialYear, backref="deadlines")
    kind = CharField()
    title = TextField()
    due_at = DateTimeField()
    concerns = CharField()
    people = TextField(default="")
    status = CharField(default="active")
    source = CharField(default="manual")
    source_key = CharField(null=True, unique=True)
    set_at = DateTimeField()
    created_by = CharField()
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("status", "due_at"), False),)


class ReminderMessage(FrozenModel):
    partnership = ForeignKeyField(Partnership, backref="reminder_messages")
    recipient = CharField()
    purpose = CharField()
    text = TextField()
    blocks = TextField(default="[]")
    state = CharField(index=True)
    owner = IntegerField(null=True)
    claimed_at = DateTimeField()
    attempts = IntegerField(default=0)
    error = TextField(default="")
    ts = CharField(default="")
    created_at = DateTimeField()
    delivered_at = DateTimeField(null=True)


class Reminder(FrozenModel):
    key = CharField(unique=True)
    partnership = ForeignKeyField(Partnership, backref="reminders")
    deadline = ForeignKeyField(Deadline, null=True, backref="reminders")
    occasion = CharField()
    recipient = CharField()
    slot_at = DateTimeField()
    late = BooleanField(default=False)
    message = ForeignKeyField(ReminderMessage, backref="reminders")
    created_at = DateTimeField()


TABLES = [ReminderSettings, DeadlineTemplate, Deadline, ReminderMessage, Reminder]


def upgrade(database, migrator):
    create(database, TABLES, referenced=[Partnership, FinancialYear])
