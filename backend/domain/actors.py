"""Who is acting, and which roles they hold in a partnership.

Every permission is decided here, on the server, from the database: a front never trusts a
role it was told about in a payload.
"""
import re
from dataclasses import dataclass

from models import Member

ROLES = ("admin", "chair", "member", "finance", "partner")
ROLE_NAMES = {
    "admin": "a community safety team admin",
    "chair": "a working-group or CSP chair",
    "member": "a working-group member",
    "finance": "finance staff",
    "partner": "a partner",
}


@dataclass(frozen=True)
class Actor:
    """A person (a Slack user) or the command line.

    `superadmin` is set by the front for the ids in ADMIN_SLACK_IDS and for the command line,
    whose user already holds the database itself.
    """

    id: str
    name: str = ""
    superadmin: bool = False

    @property
    def audit_name(self) -> str:
        return f"{self.id} ({self.name})" if self.name and self.name != self.id else self.id


# How a Slack person's `audit_name` starts: their user id, then their name in brackets.
_SLACK_ACTOR = re.compile(r"^([UW][A-Z0-9_]{2,})(?: \(.*\))?$")


def slack_user_of(audit_name: str) -> str | None:
    """The Slack user id an `audit_name` (as the audit trail and ledger keep it) belongs to, or
    None for the command line, the clock and anything else."""
    found = _SLACK_ACTOR.match(audit_name or "")
    return found.group(1) if found else None


# Who the clock acts as: its automatic work (opening tactical pots, tidying) is audited under it.
CLOCK = Actor(id="system:clock", name="the clock", superadmin=True)


def command_line(user: str = "") -> Actor:
    return Actor(id=f"cli:{user or 'operator'}", name="command line", superadmin=True)


def is_lead(actor: Actor, proposal) -> bool:
    """The project's lead: whoever proposed it or is named as its contact."""
    return actor.id in (proposal.proposer_slack_id, proposal.contact_slack_id)


def role_of(actor: Actor, partnership_id: int) -> str:
    return roles_of(actor, [partnership_id])[partnership_id]


def roles_of(actor: Actor, partnership_ids) -> dict[int, str]:
    """`role_of` in each of these partnerships, in one query: a page listing a dozen
    partnerships asks once, not a dozen times."""
    ids = list(partnership_ids)
    if actor.superadmin:
        return dict.fromkeys(ids, "admin")
    held = dict(Member.select(Member.partnership, Member.role).where(
        (Member.slack_user_id == actor.id) & Member.partnership.in_(ids)).tuples()) if ids else {}
    return {pid: held.get(pid, "partner") for pid in ids}
