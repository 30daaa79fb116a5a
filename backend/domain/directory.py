"""The directory of people: what to call the Slack user ids the tracker keeps.

Everything else stores a person as their Slack user id, which is stable and what an auditor needs;
people read names. The names are Slack's, copied here by the Slack front (from users.info, asked
only when a name is unknown or more than a day old, and from Slack's user_change event), so this
module owns the rules and the table, and never talks to Slack itself.

A name Slack could not give is never replaced by the id: it stays unknown, is shown as "(name not
known yet)", and is filled in when Slack answers, including the contact name of proposals that
were saved without one.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError, fn

from backend.domain import audit, times
from backend.domain.actors import Actor, slack_user_of
from backend.domain.database import write_transaction
from models import Person, Proposal

STALE_AFTER = timedelta(days=1)  # a name older than this is asked of Slack again
NOT_KNOWN_YET = "(name not known yet)"
MAX_NAME = 200
_USER_ID = re.compile(r"^[UW][A-Z0-9_]{2,}$")
# Who the directory's own changes are audited under: Slack said so.
FROM_USERS_INFO = Actor(id="slack:users.info", name="Slack's users.info")
FROM_USER_CHANGE = Actor(id="slack:user_change", name="Slack's user_change event")


@dataclass(frozen=True)
class Known:
    user_id: str
    display_name: str
    real_name: str
    refreshed_at: datetime

    @property
    def name(self) -> str:
        """The full name where Slack has one ("Jo Officer"), else the display name ("Jo")."""
        return self.real_name or self.display_name


def is_user_id(text: str) -> bool:
    return bool(_USER_ID.match(text or ""))


def _known(row: Person) -> Known:
    return Known(row.slack_user_id, row.display_name, row.real_name, row.refreshed_at)


def get(user_id: str) -> Known | None:
    row = Person.get_or_none(Person.slack_user_id == user_id)
    return _known(row) if row else None


def name_column():
    """The name as one SQL expression (the real name, else the display name), for queries that
    read it alongside other things in one round trip."""
    return fn.COALESCE(fn.NULLIF(Person.real_name, ""), Person.display_name)


def name_of(user_id: str) -> str:
    """The person's name, or "" while Slack has not told us."""
    found = get(user_id) if user_id else None
    return found.name if found else ""


def names(user_ids=None) -> dict[str, str]:
    """{user id: name} of the people named (everyone known, with None), in one query."""
    query = Person.select(Person.slack_user_id, name_column())
    if user_ids is not None:
        wanted = sorted({u for u in user_ids if u})
        if not wanted:
            return {}
        query = query.where(Person.slack_user_id.in_(wanted))
    return {user: name for user, name in query.tuples() if name}


def label(user_id: str, known: dict[str, str] | None = None) -> str:
    """What to call someone where people read plain text: their name, or their id marked as not
    known yet (never the id alone, as if it were a name)."""
    name = (known if known is not None else names([user_id])).get(user_id)
    return name or f"{user_id} {NOT_KNOWN_YET}"


def with_id(user_id: str, known: dict[str, str] | None = None) -> str:
    """Name and id, where both help (the command line, which takes ids): "Jo Officer (U0FIN0001)"."""
    name = (known if known is not None else names([user_id])).get(user_id)
    return f"{name} ({user_id})" if name else f"{user_id} {NOT_KNOWN_YET}"


def describe_actor(audit_text: str, known: dict[str, str] | None = None) -> str:
    """Who did something, as the audit trail and ledger keep it ("U0FIN0001 (jo)",
    "cli:sam (command line)", "system:clock (the clock)"), in words for a reader."""
    text = audit_text or ""
    user = slack_user_of(text)
    if user:
        return label(user, known)
    if text.startswith("cli:"):
        login = text[4:].split(" ", 1)[0]
        return f"command line ({login})" if login and login != "operator" else "command line"
    if text.startswith(("system:", "slack:")):
        inner = re.search(r"\((.*)\)$", text)
        return inner.group(1) if inner else text.split(":", 1)[1]
    return text


def people_in(audit_texts) -> set[str]:
    """The Slack user ids among some audit or ledger actors."""
    return {user for user in (slack_user_of(t or "") for t in audit_texts) if user}


def needs_refresh(user_id: str, now: datetime | None = None) -> bool:
    """Whether Slack should be asked again: the name is unknown or older than a day."""
    if not is_user_id(user_id):
        return False
    found = get(user_id)
    return found is None or (now or times.now()) - found.refreshed_at > STALE_AFTER


def _clean(text) -> str:
    return " ".join(str(text or "").split())[:MAX_NAME]


def learn(user_id: str, *, display_name: str, real_name: str, actor: Actor = FROM_USERS_INFO,
          only_if_known: bool = False) -> Known | None:
    """Record what Slack says a person is called (a rename is audited, before and after).

    Proposals saved before their contact's name was known get it now, in the same transaction.
    With `only_if_known` (Slack's user_change event, sent for everyone in the workspace) nobody
    new is added: the directory holds only people the tracker has met.
    """
    if not is_user_id(user_id):
        return None
    display, real = _clean(display_name), _clean(real_name)
    if not display and not real:
        return None  # Slack gave no name: keep it unknown rather than store an empty one
    try:
        return _learn(user_id, display, real, actor, only_if_known)
    except IntegrityError:  # the same person learnt at the same moment by another request
        return _learn(user_id, display, real, actor, only_if_known)


def _learn(user_id: str, display: str, real: str, actor: Actor,
           only_if_known: bool) -> Known | None:
    now = times.now()
    with write_transaction():
        row = Person.get_or_none(Person.slack_user_id == user_id)
        if row is None:
            if only_if_known:
                return None
            row = Person.create(slack_user_id=user_id, display_name=display, real_name=real,
                                refreshed_at=now)
        else:
            before = {"display_name": row.display_name, "real_name": row.real_name}
            row.display_name, row.real_name, row.refreshed_at = display, real, now
            row.save()
            after = {"display_name": display, "real_name": real}
            if before != after:
                audit.record(actor, "person.rename", "person", row.id,
                             before={"user": user_id, **before}, after={"user": user_id, **after})
        known = _known(row)
        _fill_contact_names(actor, row, known.name)
    return known


def _fill_contact_names(actor: Actor, row: Person, name: str) -> None:
    """Proposals whose contact is this person and whose contact name is missing (or, from before
    the directory, is the bare id)."""
    missing = ((Proposal.contact_slack_id == row.slack_user_id)
               & Proposal.contact_name.in_(("", row.slack_user_id)))
    ids = [p.id for p in Proposal.select(Proposal.id).where(missing).order_by(Proposal.id)]
    if not ids:
        return
    Proposal.update(contact_name=name).where(Proposal.id.in_(ids)).execute()
    audit.record(actor, "person.contact_name", "person", row.id,
                 after={"user": row.slack_user_id, "name": name, "proposals": ids})
