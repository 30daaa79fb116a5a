"""Deadlines, per-partnership reminder settings and template, and the record of reminders sent."""
from models.deadlines import (
    Deadline,
    DeadlineTemplate,
    Reminder,
    ReminderMessage,
    ReminderSettings,
)

TABLES = [ReminderSettings, DeadlineTemplate, Deadline, ReminderMessage, Reminder]


def upgrade(database, migrator):
    database.create_tables(TABLES, safe=False)
