"""Telling a partnership's admins what the clock could not deliver, or cannot be sure of.

A reminder that failed for good, or whose arrival nobody can confirm, must never be dropped in
silence: someone has to act (invite the bot, fix the channel, press *Send it again* or run `crg
clock --resend ID`). Who the admins are is the domain's rule (`people.admins_of`). An alert is
itself an outbox message under a unique key per problem and admin, so it is claimed and sent
like any reminder (`backend.domain.outbox.claims`, `backend.slack.delivery`), exactly once; its
own failures are logged, not alerted again.
"""
import logging
from collections import defaultdict
from datetime import datetime

from backend.domain import partnerships, people
from backend.domain.outbox.claims import claim
from backend.domain.outbox.owners import Owner
from backend.logs import log_event
from backend.settings import Settings
from backend.slack.alert_messages import render_alert
from backend.slack.delivery import SweepResult, deliver

log = logging.getLogger("crg.outbox")


def alert_admins(client, settings: Settings, result: SweepResult, now: datetime, owner: Owner) -> None:
    """One DM per admin per partnership for this sweep's problems; an alert is itself keyed once."""
    by_partnership = defaultdict(list)
    for pid, mid, recipient, state, error, text in result.problems:
        by_partnership[pid].append((mid, recipient, state, error, text))
    for pid, problems in by_partnership.items():
        admins = people.admins_of(pid, settings.admin_slack_ids)
        if not admins:
            log_event(log, "no_admin_to_alert", logging.ERROR, partnership=pid,
                      messages=",".join(str(p[0]) for p in problems))
            continue
        name = partnerships.name_of(pid)
        for admin in admins:
            rows = [dict(key=f"m{mid}:alert:{admin}", deadline=None, occasion=f"alert:m{mid}",
                         slot_at=now, late=False) for mid, *_ in problems]
            by_key = {f"m{p[0]}:alert:{admin}": p for p in problems}
            message = claim(pid, admin, "alert", rows, now, owner,
                            lambda mine, name=name, by_key=by_key: render_alert(
                                name, [by_key[k] for k in sorted(mine, key=lambda k: by_key[k][0])]))
            if message is not None:
                deliver(client, message, owner, now, result, alert=True)
