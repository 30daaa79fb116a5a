"""What is due at a sweep, as the messages to claim: one per recipient.

The rules of who hears what, when, are the domain's (`backend.domain.reminders.plan`); this only
turns its answer into messages, because everything for one recipient in one sweep is one Slack
message (a person owed three things gets one DM, not three). Each message is worded only once
its keys are claimed (`backend.domain.outbox.claims`), for the keys this clock actually got.
"""
from collections import defaultdict
from datetime import datetime

from backend.domain import reminders
from backend.domain.outbox.claims import Wanted
from backend.domain.reminders import Due
from backend.slack import reminder_messages


def due_messages(now: datetime) -> list[Wanted]:
    groups: dict[tuple[int, str], list[Due]] = defaultdict(list)
    for due in reminders.plan(now):
        groups[(due.partnership_id, due.recipient)].append(due)
    wanted = []
    for (partnership_id, recipient), items in groups.items():
        purpose = "digest" if any(i.digest for i in items) else "reminder"
        rows = [dict(key=i.key, deadline=i.deadline_id, occasion=i.occasion,
                     slot_at=i.slot_at, late=i.late) for i in items]
        wanted.append(Wanted(partnership_id, recipient, purpose, rows,
                             lambda mine, items=items: reminder_messages.render(
                                 [i for i in items if i.key in mine], now)))
    return wanted
