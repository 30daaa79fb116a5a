"""People in partnerships: who belongs where (so a DM knows whose pots they mean) and who holds
which role (granted and revoked by admins, every change audited)."""
import re

from backend.domain import audit, times
from backend.domain.actors import ROLE_NAMES, ROLES, Actor
from backend.domain.database import write_transaction
from backend.domain.errors import InvalidInput
from backend.domain.permissions import refuse, require
from models import FinancialYear, Member, Partnership, Proposal


def partnerships_of(user_id: str) -> list[int]:
    """Partnerships the person holds a role in, or has proposed to; in name order."""
    member_of = Member.select(Member.partnership).where(Member.slack_user_id == user_id)
    proposed_to = (FinancialYear.select(FinancialYear.partnership).join(Proposal)
                   .where(Proposal.proposer_slack_id == user_id))
    query = (Partnership.select(Partnership.id)
             .where(Partnership.id.in_(member_of) | Partnership.id.in_(proposed_to))
             .order_by(Partnership.name))
    return [p.id for p in query]


def is_slack_user_id(text: str) -> bool:
    """A Slack user id as Slack writes them: U or W, then capital letters and digits."""
    return bool(re.fullmatch(r"[UW][A-Z0-9]{2,}", (text or "").strip()))


def _valid_user(user_id: str) -> str:
    user_id = (user_id or "").strip()
    if not is_slack_user_id(user_id):
        raise InvalidInput(f"“{user_id or 'nothing'}” is not a Slack user id: they look like "
                           "U0123ABCD.", field="user")
    return user_id


def grant(actor: Actor, partnership_id: int, user_id: str, role: str) -> str:
    """Give a person a role in a partnership (admins only); returns the role they had before."""
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"“{role or 'nothing'}” is not a role: use one of {', '.join(ROLES)}.",
                           field="role")
    user_id = _valid_user(user_id)
    with write_transaction():
        attempted = (f"tried to grant themselves {role}" if user_id == actor.id
                     else f"tried to make {user_id} {ROLE_NAMES[role]}")
        require(actor, partnership_id, doing="grant roles", attempted=attempted)
        member = Member.get_or_none((Member.partnership == partnership_id)
                                    & (Member.slack_user_id == user_id))
        before = member.role if member else "partner"
        if member and member.role == "admin" and role != "admin":
            _keep_an_admin(actor, partnership_id, user_id)
        if member is None:
            member = Member.create(partnership=partnership_id, slack_user_id=user_id, role=role,
                                   granted_by=actor.audit_name, granted_at=times.now())
        else:
            member.role, member.granted_by, member.granted_at = role, actor.audit_name, times.now()
            member.save()
        audit.record(actor, "member.role", "member", member.id, partnership_id=partnership_id,
                     before={"user": user_id, "role": before}, after={"user": user_id, "role": role})
    return before


def revoke(actor: Actor, partnership_id: int, user_id: str) -> str:
    """Take a person's role away: they stay a partner. Returns the role they had."""
    return grant(actor, partnership_id, user_id, "partner")


def _keep_an_admin(actor: Actor, partnership_id: int, leaving: str) -> None:
    others = (Member.select().where((Member.partnership == partnership_id)
                                    & (Member.role == "admin") & (Member.slack_user_id != leaving))
              .count())
    if not others and not actor.superadmin:
        raise InvalidInput("That would leave the partnership with no admin; make someone else "
                           "an admin first.", field="role")


def roles_of_partnership(partnership_id: int) -> list[tuple[str, str]]:
    """(Slack user id, role) of everyone holding more than the partner role, by role."""
    order = {role: i for i, role in enumerate(ROLES)}
    rows = Member.select().where((Member.partnership == partnership_id)
                                 & (Member.role != "partner"))
    return sorted(((m.slack_user_id, m.role) for m in rows), key=lambda r: (order[r[1]], r[0]))


def admins_of(partnership_id: int, superadmins=()) -> list[str]:
    """Who is told when something needs an admin: the partnership's members with the admin role,
    then the ADMIN_SLACK_IDS (`superadmins`), each once."""
    members = [m for (m,) in Member.select(Member.slack_user_id).where(
        (Member.partnership == partnership_id) & (Member.role == "admin"))
        .order_by(Member.id).tuples()]
    return list(dict.fromkeys(members + list(superadmins)))


def may_act_in(actor: Actor, partnership_id: int, offered: list[int]) -> None:
    """Whether the person may work in this partnership when they chose it from a question
    (`offered`: the partnerships they were asked to choose from). A forged choice naming
    another partnership is refused and recorded."""
    if actor.superadmin or partnership_id in offered:
        return
    refuse(actor, partnership_id, "That is not one of your partnerships; choose one of those "
                                  "offered, or ask an admin to add you to it.",
           "tried to act in a partnership they are not in")
