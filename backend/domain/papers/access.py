"""Who may take each paper: one rule per paper, asked by every front before anything is made.

The Working Group update is the chair's paper (chairs and admins); the returns are finance's
as much as the chair's. Every refusal names who may and is kept on record (`permissions`).
"""
from backend.domain.actors import Actor, role_of
from backend.domain.permissions import refuse, require


def may_take_paper(actor: Actor, partnership_id: int) -> None:
    require(actor, partnership_id, "chair", doing="get the Working Group update paper")


def may_take_return(actor: Actor, partnership_id: int) -> None:
    require(actor, partnership_id, "finance", "chair", doing="get the OPCC returns")


def may_take_every_return(actor: Actor) -> None:
    if not actor.superadmin:
        refuse(actor, None, "Only an admin named in ADMIN_SLACK_IDS or the command line can get "
                            "every partnership's return at once.",
               "tried to get every partnership's OPCC return")


def may_set_papers(actor: Actor, partnership_id: int) -> None:
    require(actor, partnership_id, doing="change how the partnership's papers are written")


def offers_paper(actor: Actor, partnership_id: int) -> bool:
    """Whether a page should offer this person the update paper (asking is still checked)."""
    return role_of(actor, partnership_id) in ("admin", "chair")


def offers_template(actor: Actor, partnership_id: int) -> bool:
    return role_of(actor, partnership_id) == "admin"
