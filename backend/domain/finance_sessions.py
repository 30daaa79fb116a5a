"""Sessions of the finance web page, kept on the server: a cookie alone can never sign anyone in.

Following a sign-in link (`login_links.redeem`) starts a session: a random secret goes into the
browser's signed cookie and only its sha256 hash is stored here, with when it ends. Every page
looks the session up, so a session is exactly as good as its row: signing out ends it on the
server (a copy of the cookie replayed afterwards is refused), it expires after
SESSION_LIFETIME whatever the cookie says, and a cookie forged with a leaked SECRET_KEY still
names no session. The clock forgets ended sessions after a week (`prune`), as it does links.
"""
import hashlib
import re
import secrets
from datetime import datetime, timedelta

from backend.domain import audit, times
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, NotAllowed
from models import FinanceSession

SESSION_LIFETIME = timedelta(hours=8)  # a working day; then a new link from Slack
FORGET_AFTER = timedelta(days=7)
ASK_AGAIN = "Type /crg login in Slack for a new link."
NOT_SIGNED_IN = "You are not signed in to the finance page. Type /crg login in Slack for a link."
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")  # what `start` makes (secrets.token_urlsafe(32))


class SessionEnded(Conflict):
    """The session was real but can no longer be used: signed out, or too old."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def web_actor(user_id: str, admin_ids=()) -> Actor:
    """The person behind a link or a web session (ADMIN_SLACK_IDS make them superadmins)."""
    return Actor(id=user_id, name="finance web page", superadmin=user_id in admin_ids)


def start(user_id: str, now: datetime) -> str:
    """A new session for a person who has just proved who they are; its secret, for the cookie.
    Called inside the transaction that used their sign-in link."""
    token = secrets.token_urlsafe(32)
    FinanceSession.create(token_hash=_hash(token), slack_user_id=user_id, started_at=now,
                          expires_at=now + SESSION_LIFETIME)
    return token


def person_of(token, admin_ids=()) -> Actor:
    """The person of the session a cookie names, or a refusal saying how to sign in again.

    Anything that is not a session this tracker started (no cookie, an old cookie of another
    shape, a made-up or malformed value) is simply not signed in: a refusal, never an error.
    """
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise NotAllowed(NOT_SIGNED_IN)
    row = FinanceSession.get_or_none(FinanceSession.token_hash == _hash(token))
    if row is None:
        raise NotAllowed(NOT_SIGNED_IN)
    actor = web_actor(row.slack_user_id, admin_ids)
    if row.ended_at is not None:
        refused = f"You signed out of the finance page, so that session has ended. {ASK_AGAIN}"
        audit.denied(actor, "tried to use a finance page session after signing out", refused,
                     None)
        raise SessionEnded(refused)
    if times.now() >= row.expires_at:
        hours = int(SESSION_LIFETIME.total_seconds() // 3600)
        raise SessionEnded(f"Your finance page session has ended (it lasts {hours} hours). "
                           f"{ASK_AGAIN}")
    return actor


def end(token) -> bool:
    """Sign out: the session ends on the server, whoever still holds a copy of the cookie.
    False when the cookie named no session still running (nothing to end)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return False
    now = times.now()
    with write_transaction():
        row = FinanceSession.get_or_none((FinanceSession.token_hash == _hash(token))
                                         & FinanceSession.ended_at.is_null())
        if row is None:
            return False
        FinanceSession.update(ended_at=now).where(FinanceSession.id == row.id).execute()
        audit.record(web_actor(row.slack_user_id), "finance_session.end",
                     "finance_session", row.id, after={"ended_at": now})
    return True


def prune(actor: Actor, now: datetime) -> int:
    """Forget the sessions ended or expired more than FORGET_AFTER before `now`; how many went.
    Audited, as `login_links.prune` is."""
    cutoff = now - FORGET_AFTER
    return audit.forget(actor, FinanceSession,
                        (FinanceSession.ended_at < cutoff) | (FinanceSession.expires_at < cutoff),
                        "finance_session", lambda row: ({"person": row.slack_user_id,
                                                         "expires_at": row.expires_at,
                                                         "ended_at": row.ended_at}, None))
