"""Telling a partnership's admins what the clock could not deliver, or cannot be sure of.

A reminder that failed for good, or whose arrival nobody can confirm, must never be dropped in
silence: someone has to act (invite the bot, fix the channel, press *Send it again* or run
`crg clock --resend ID`). The admins are the partnership's members with the admin role, plus
ADMIN_SLACK_IDS. An alert is itself an outbox message under a unique key per problem and
admin, so it is claimed and sent like any reminder (`jobs.claims`, `jobs.delivery`), exactly
once; its own failures are logged, not alerted again.
"""
import logging
from collections import defaultdict
from datetime import datetime

from backend.settings import Settings
from jobs import messages
from jobs.claims import claim
from jobs.delivery import SweepResult, deliver
from jobs.owners import Owner
from models import Member, Partnership

log = logging.getLogger("crg.clock")


def admins_of(partnership_id: int, settings: Settings) -> list[str]:
    members = [m for (m,) in Member.select(Member.slack_user_id).where(
        (Member.partnership == partnership_id) & (Member.role == "admin")).order_by(Member.id).tuples()]
    return list(dict.fromkeys(members + list(settings.admin_slack_ids)))


def alert_admins(client, settings: Settings, result: SweepResult, now: datetime, owner: Owner) -> None:
    """One DM per admin per partnership for this sweep's problems; an alert is itself keyed once."""
    by_partnership = defaultdict(list)
    for pid, mid, recipient, state, error, text in result.problems:
        by_partnership[pid].append((mid, recipient, state, error, text))
    for pid, problems in by_partnership.items():
        admins = admins_of(pid, settings)
        if not admins:
            log.error("no admin to tell about messages %s of partnership %s",
                      [p[0] for p in problems], pid)
            continue
        name = Partnership.get_by_id(pid).name
        for admin in admins:
            rows = [dict(key=f"m{mid}:alert:{admin}", deadline=None, occasion=f"alert:m{mid}",
                         slot_at=now, late=False) for mid, *_ in problems]
            by_key = {f"m{p[0]}:alert:{admin}": p for p in problems}
            message = claim(pid, admin, "alert", rows, now, owner,
                            lambda mine, name=name, by_key=by_key: messages.render_alert(
                                name, [by_key[k] for k in sorted(mine, key=lambda k: by_key[k][0])]))
            if message is not None:
                deliver(client, message, owner, now, result, alert=True)
