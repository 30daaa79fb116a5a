"""Deadlines, each partnership's reminder settings and template, and the reminders sent.

Two tables make "exactly once" hold: `reminder` has one row per (deadline, occasion, recipient)
under a unique `key`, written when a clock claims it; the outbox row (`models.outbox`) of the
Slack message that carries one or more of those reminders says how far sending it got
(claimed, sending, delivered, ...). See jobs/sweep.py for how they are used.
"""
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel
from models.grant import FinancialYear, Partnership
from models.outbox import OutboxMessage


class ReminderSettings(BaseModel):
    """When a partnership's reminders go out. No row means the defaults."""

    partnership = ForeignKeyField(Partnership, unique=True, backref="reminder_settings")
    offsets = CharField(default="14,7,1,0")  # days before a deadline; 0 is "on the day"
    send_time = CharField(default="09:00")  # local wall-clock time, working days only
    digest_weekday = IntegerField(default=0)  # 0 = Monday ... 4 = Friday; -1 = no digest
    bank_holidays = CharField(default="england-and-wales")  # or "none"
    closed_days = TextField(default="")  # extra non-working days, "2025-05-08,2025-12-29"
    own_template = BooleanField(default=False)  # its deadline_template rows replace the default
    updated_by = CharField(default="")
    updated_at = DateTimeField(null=True)


class DeadlineTemplate(BaseModel):
    """One usual deadline a partnership's new year starts with (e.g. spend by 31 March 17:00)."""

    partnership = ForeignKeyField(Partnership, backref="deadline_template")
    position = IntegerField()
    kind = CharField()
    title = TextField()
    month = IntegerField()
    day = IntegerField()
    time = CharField(default="17:00")
    # April-December dates fall in the year's first calendar year, January-March in its second;
    # this moves an April-December date to after the year end (a monitoring return in April).
    after_year_end = BooleanField(default=False)

    class Meta:
        indexes = ((("partnership", "position"), True),)


class Deadline(BaseModel):
    partnership = ForeignKeyField(Partnership, backref="deadlines")
    year = ForeignKeyField(FinancialYear, backref="deadlines")
    kind = CharField()
    title = TextField()
    due_at = DateTimeField()  # naive UTC
    concerns = CharField()  # partnership, proposers or project_leads
    people = TextField(default="")  # Slack user ids who also get a DM, comma-separated
    status = CharField(default="active")  # active or cancelled
    source = CharField(default="manual")  # manual, template or meeting
    source_key = CharField(null=True, unique=True)  # "meeting:12:cutoff": made once per source
    set_at = DateTimeField()  # when due_at got its current value: older reminder slots are moot
    created_by = CharField()
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("status", "due_at"), False),)


class Reminder(BaseModel):
    """One reminder: (deadline, occasion, recipient) under a unique key, recorded once."""

    key = CharField(unique=True)
    partnership = ForeignKeyField(Partnership, backref="reminders")
    deadline = ForeignKeyField(Deadline, null=True, backref="reminders")
    occasion = CharField()  # before:7@2025-03-31, overdue@2025-03-31, digest@2025-W14, ...
    recipient = CharField()
    slot_at = DateTimeField()  # when it was meant to go out (UTC)
    late = BooleanField(default=False)
    message = ForeignKeyField(OutboxMessage, backref="reminders")
    created_at = DateTimeField()
