"""Single-use links that sign finance staff, chairs and admins in to the finance web page.

The page has no passwords: a person proves who they are in Slack (`/crg login`) and gets a link
by DM. Only a sha256 hash of the link's secret is stored, so a copy of the database (a backup, a
log of queries) cannot be turned into a working link. A link works once, within ten minutes:
redeeming is one conditional UPDATE, so two clicks at the same moment cannot both succeed. Roles
are checked again when the link is used and on every page, so taking a role away takes the page
away too. A link that no longer works is kept a while, only so that a click on it is told why
(`FORGET_AFTER`), then forgotten by the clock (`prune`), so the table does not grow forever.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.domain import audit, finance_sessions, partnerships, times
from backend.domain.actors import Actor, roles_of
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, NotFound
from backend.domain.finance_sessions import ASK_AGAIN, web_actor
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.permissions import refuse, require
from models.login_links import LoginLink

LINK_LIFETIME = timedelta(minutes=10)
# How long a used or expired link is remembered after it stopped working. Only so that a person
# who clicks it again gets the plain reason ("already used", "expired") rather than "not a link
# this tracker knows": the link stays in their Slack DMs, and they may find it after a weekend,
# a bank holiday or a few days' leave, so a week rather than hours. Keeping it costs no safety
# (only a hash is stored, and a used or expired row can never sign anyone in) and little room
# (one row per /crg login). After that the clock deletes the row (`prune`).
FORGET_AFTER = timedelta(days=7)
# Who may use the finance page: whoever may take its spend sheets and papers (`exports`,
# `papers.access`): finance staff, chairs (the Working Group update is theirs) and admins.
FINANCE_ROLES = ("admin", "finance", "chair")


class LinkUnusable(Conflict):
    """The link (or the session it started) was real but can no longer be used."""


@dataclass(frozen=True)
class SignIn:
    user_id: str
    partnership_id: int
    signed_in_at: datetime
    session: str  # the new session's secret, for the browser's cookie (`finance_sessions`)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def send_link(actor: Actor, partnership_id: int) -> None:
    """A sign-in link for the person, by DM. Its secret is made only as the DM is sent
    (`issue`), so it never rests in the outbox: only a hash of it is ever stored."""
    with write_transaction():
        require(actor, partnership_id, *FINANCE_ROLES, doing="sign in to the finance page")
        notes.tell(Note(actor.id, "login_link", "login_link",
                        {"user": actor.id, "partnership": partnership_id},
                        partnership_id=partnership_id))


def issue(actor: Actor, partnership_id: int) -> str:
    """A new sign-in link's secret for finance staff or an admin of the partnership."""
    token = secrets.token_urlsafe(32)
    now = times.now()
    with write_transaction():
        require(actor, partnership_id, *FINANCE_ROLES, doing="sign in to the finance page")
        link = LoginLink.create(token_hash=_hash(token), slack_user_id=actor.id,
                                partnership=partnership_id, created_at=now,
                                expires_at=now + LINK_LIFETIME)
        audit.record(actor, "login_link.issue", "login_link", link.id,
                     partnership_id=partnership_id, after={"expires_at": link.expires_at})
    return token


def redeem(token: str, admin_ids=()) -> SignIn:
    """Use a link: once, before it expires, by someone who still holds the role; it starts a
    session on the server in the same transaction."""
    digest = _hash(token or "")
    now = times.now()
    with write_transaction():
        claimed = (LoginLink.update(used_at=now)
                   .where((LoginLink.token_hash == digest) & LoginLink.used_at.is_null()
                          & (LoginLink.expires_at > now))
                   .execute())
        link = LoginLink.get_or_none(LoginLink.token_hash == digest)
        if link is None:
            raise NotFound("This sign-in link is not one this tracker gave out, or it stopped "
                           f"working more than {FORGET_AFTER.days} days ago. {ASK_AGAIN}")
        if not claimed:
            if link.used_at is not None:
                raise LinkUnusable("This sign-in link has already been used, and each link works "
                                   f"only once. {ASK_AGAIN}")
            raise LinkUnusable("This sign-in link has expired: links work for "
                               f"{int(LINK_LIFETIME.total_seconds() // 60)} minutes. {ASK_AGAIN}")
        actor = web_actor(link.slack_user_id, admin_ids)
        require(actor, link.partnership_id, *FINANCE_ROLES, doing="use the finance page")
        session = finance_sessions.start(link.slack_user_id, now)
        audit.record(actor, "login_link.redeem", "login_link", link.id,
                     partnership_id=link.partnership_id, after={"used_at": now})
    return SignIn(link.slack_user_id, link.partnership_id, now, session)


def finance_partnerships(actor: Actor) -> list[partnerships.PartnershipInfo]:
    """The partnerships whose spend sheets this person may take from the finance page."""
    every = partnerships.list_partnerships()
    roles = roles_of(actor, [p.id for p in every])
    mine = [p for p in every if roles[p.id] in FINANCE_ROLES]
    if not mine:
        refuse(actor, None, "The finance page is for finance staff, chairs and admins, and you "
                            "hold none of those roles in any partnership.", "tried to use the finance page")
    return mine


def prune(actor: Actor, now: datetime) -> int:
    """Forget the links used, or expired, more than FORGET_AFTER before `now`; how many went.

    On the clock rather than in a web request, so that signing in stays one short write. Each
    row's removal is audited (its issue and redeem records name it).
    """
    cutoff = now - FORGET_AFTER
    return audit.forget(actor, LoginLink,
                        (LoginLink.used_at < cutoff) | (LoginLink.expires_at < cutoff),
                        "login_link", lambda link: ({"expires_at": link.expires_at,
                                                     "used_at": link.used_at},
                                                    link.partnership_id))
