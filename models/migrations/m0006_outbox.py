"""The clock's outbox becomes every Slack message's: renamed, with what a web-made message needs
(its kind, its wording built at send time, a time to wait for, the request that made it), and
the table of sending processes.

The columns and the table as they were at version 6, frozen here (see
`models.migrations.frozen`).
"""
from peewee import CharField, DateTimeField, IntegerField, TextField

from models.migrations.frozen import FrozenModel, create


class OutboxSender(FrozenModel):
    token = IntegerField(primary_key=True)
    host = CharField()
    pid = IntegerField()
    process_started = CharField(default="")
    role = CharField(default="")
    started_at = DateTimeField()


NEW_COLUMNS = {
    "kind": CharField(default="post"),
    "render": CharField(default=""),
    "payload": TextField(default="{}"),
    "not_before": DateTimeField(null=True),
    "request_id": CharField(default=""),
}


def upgrade(database, migrator):
    from playhouse.migrate import migrate

    migrate(migrator.rename_table("reminder_message", "outbox_message"))
    migrate(*(migrator.add_column("outbox_message", name, field)
              for name, field in NEW_COLUMNS.items()))
    migrate(migrator.drop_not_null("outbox_message", "partnership_id"))
    create(database, [OutboxSender])
