"""Claim first: a message's reminder keys are recorded as this clock's before anything is sent.

This is where "never twice" starts. Every reminder is one row in `reminder` under a unique key
(deadline, occasion, recipient); the Slack message that carries one or more of them is one row
in `outbox_message` (the outbox), `claimed` and owned by this clock
(`backend.domain.outbox.owners`). A key another clock (or an earlier sweep) already holds is
simply not claimed again, so two clocks running at once never both send a reminder, and only the
keys claimed are rendered into the message. Sending, and what happens after, is
`backend.slack.delivery`'s.
"""
import json
from collections import defaultdict
from datetime import datetime
from typing import Callable, NamedTuple

from backend.domain.database import is_postgres, write_transaction
from backend.domain.outbox.owners import Owner
from backend.domain.prepared import insert_statements
from models import OutboxMessage, Reminder, database


class Wanted(NamedTuple):
    """A message to claim: its reminder key rows, and how to word it for the keys it gets."""

    partnership_id: int
    recipient: str
    purpose: str  # reminder, digest or alert
    rows: list[dict]  # key, deadline, occasion, slot_at, late
    render: Callable[[set[str]], tuple[str, list[dict]]]


def claim(partnership_id: int, recipient: str, purpose: str, rows: list[dict], now: datetime,
          owner: Owner, render) -> OutboxMessage | None:
    """Claim the keys not yet held and make the message carrying them; None if none were free."""
    claimed = claim_all([Wanted(partnership_id, recipient, purpose, rows, render)], now, owner)
    return claimed[0] if claimed else None


def _new_ids(count: int) -> list[int]:
    """Ids for new messages, taken before inserting them (inside the claim transaction)."""
    if is_postgres():
        cursor = database.execute_sql(
            "SELECT nextval(pg_get_serial_sequence('outbox_message', 'id')) "
            "FROM generate_series(1, %s)", (count,))
        return [row[0] for row in cursor.fetchall()]
    # SQLite: the IMMEDIATE transaction holds the only write lock, so max + 1 is free.
    top = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM outbox_message").fetchone()[0]
    return list(range(top + 1, top + 1 + count))


def _insert(model, rows: list[dict], *, ignore_conflicts: bool = False) -> None:
    for sql, params in insert_statements(model, rows, ignore_conflicts=ignore_conflicts):
        database.execute_sql(sql, params)


def claim_all(wanted: list[Wanted], now: datetime, owner: Owner) -> list[OutboxMessage]:
    """Claim every (partnership, recipient, purpose, key rows, render) in one transaction.

    A handful of statements whatever the number of messages: the messages are rendered as if
    every key were free (they are, unless another clock is claiming at the same moment), all
    inserted, then the keys, with ON CONFLICT DO NOTHING in one key order (so two clocks never
    deadlock); a message that lost some keys is rendered again, one that lost all is dropped.
    """
    if not wanted:
        return []
    with write_transaction():
        ids = _new_ids(len(wanted))
        made, keyed = [], []
        for message_id, (partnership_id, recipient, purpose, rows, render) in zip(ids, wanted):
            text, blocks = render({row["key"] for row in rows})
            made.append(OutboxMessage(
                id=message_id, partnership=partnership_id, recipient=recipient, purpose=purpose,
                text=text, blocks=json.dumps(blocks), state="claimed", owner=owner.token,
                claimed_at=now, created_at=now, attempts=0, error="", ts=""))
            keyed.extend({**row, "partnership": partnership_id, "recipient": recipient,
                          "message": message_id, "created_at": now} for row in rows)
        names = [f.name for f in OutboxMessage._meta.sorted_fields if f.name != "delivered_at"]
        _insert(OutboxMessage, [{n: m.partnership_id if n == "partnership" else getattr(m, n)
                                   for n in names} for m in made])
        keyed.sort(key=lambda row: row["key"])
        _insert(Reminder, keyed, ignore_conflicts=True)
        mine: dict[int, set[str]] = defaultdict(set)
        for start in range(0, len(ids), 500):
            for key, message_id in (Reminder.select(Reminder.key, Reminder.message)
                                    .where(Reminder.message.in_(ids[start:start + 500])).tuples()):
                mine[message_id].add(key)
        kept = []
        for message, (_, _, _, rows, render) in zip(made, wanted):
            got = mine.get(message.id, set())
            if not got:
                OutboxMessage.delete().where(OutboxMessage.id == message.id).execute()
                continue
            if len(got) < len(rows):
                text, blocks = render(got)
                message.text, message.blocks = text, json.dumps(blocks)
                OutboxMessage.update(text=message.text, blocks=message.blocks).where(
                    OutboxMessage.id == message.id).execute()
            kept.append(message)
    return kept
