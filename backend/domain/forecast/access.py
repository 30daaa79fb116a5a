"""Who may see a forecast, and how much of it.

A partnership's whole forecast (its pots, every project, the money likely to go back) is for
the people who manage the money: its finance staff, chairs and admins. A partner sees the
forecast of the projects they lead (as proposer or named contact) and nothing of anyone else's.
The view across every partnership is the OPCC's: only for admins named in ADMIN_SLACK_IDS (and
the command line), as for the all-partnerships spend sheet.
"""
from dataclasses import dataclass

from backend.domain.actors import Actor, is_lead, role_of
from backend.domain.permissions import refuse

WHOLE_FORECAST_ROLES = ("admin", "chair", "finance")


@dataclass(frozen=True)
class Scope:
    """What of a partnership's forecast a person sees: all of it, or only what they lead."""

    partnership_id: int
    whole: bool
    person: str


def may_see_forecast(actor: Actor, partnership_id: int) -> Scope:
    """The whole forecast for finance staff, chairs and admins; a partner's own projects else."""
    whole = role_of(actor, partnership_id) in WHOLE_FORECAST_ROLES
    return Scope(partnership_id, whole, actor.id)


def may_see_project(actor: Actor, proposal) -> None:
    """One project's forecast: for those who see the whole forecast, and for its lead."""
    partnership_id = proposal.year.partnership_id
    if not may_see_forecast(actor, partnership_id).whole and not is_lead(actor, proposal):
        refuse(actor, partnership_id, "Only the project's lead, finance staff, chairs and admins "
                                      "can see this project's forecast.",
               "tried to see the forecast of a project they do not lead")


def may_see_every_partnership(actor: Actor) -> None:
    """The OPCC's view across partnerships."""
    if not actor.superadmin:
        refuse(actor, None, "Only an admin named in ADMIN_SLACK_IDS (or the command line) can see "
                            "every partnership's forecast at once.",
               "tried to see every partnership's forecast")
