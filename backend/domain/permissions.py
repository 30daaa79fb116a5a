"""Who may do what: every refusal said in a sentence that names who may, and kept on record.

Every permission is decided here, on the server, from the database (`actors.role_of`): a front
never trusts a role it was told about in a payload. A refusal is recorded in plain words (what
the person tried, and what they were told), whatever becomes of the transaction it rolls back
(`audit.denied`).
"""
from typing import NoReturn

from backend.domain import audit
from backend.domain.actors import ROLE_NAMES, Actor, role_of
from backend.domain.errors import NotAllowed


def require(actor: Actor, partnership_id: int, *roles: str, doing: str,
            attempted: str | None = None) -> str:
    """The actor's role, or a refusal that says who may do this instead (admins always may).

    `doing` completes "Only ... can ___"; `attempted` is how the record says what they tried,
    when "tried to {doing}" would not say it plainly enough.
    """
    role = role_of(actor, partnership_id)
    if role == "admin" or role in roles:
        return role
    names = [ROLE_NAMES[r] for r in roles if r != "admin"] + [ROLE_NAMES["admin"]]
    refuse(actor, partnership_id,
           f"Only {' or '.join(names)} can {doing}; you are {ROLE_NAMES[role]} in this "
           "partnership.", attempted or f"tried to {doing}")


def refuse(actor: Actor, partnership_id: int | None, sentence: str, attempted: str) -> NoReturn:
    """Refuse, saying `sentence`, and keep the attempt on record."""
    audit.denied(actor, attempted, sentence, partnership_id)
    raise NotAllowed(sentence)
