"""Setting a partnership up in one go, from Slack: no server shell, no ids found by hand.

One of the tracker's own admins (ADMIN_SLACK_IDS) names the partnership, gives this year's
allocation and its Community Safety Agreement priorities, and says who holds which role; the
channel it is done in becomes the working group's. One transaction creates the partnership, links
the channel, opens the year (the pots funded, the usual deadlines made) and grants the roles, and
the audit trail records each step and the whole; anyone else is refused, and that is recorded too.
"""
from dataclasses import dataclass, field

from backend.domain import audit, fiscal, partnerships, people, years
from backend.domain.actors import ROLE_NAMES, Actor
from backend.domain.database import write_transaction
from backend.domain.directory import label
from backend.domain.errors import Conflict, FieldErrors, InvalidInput
from backend.domain.money import parse_amount
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.partnerships import ONLY_TRACKER_ADMINS, PartnershipInfo
from backend.domain.permissions import refuse
from backend.domain.years import YearInfo

# The roles a set-up form grants, highest first: someone picked for two gets the higher one only
# if it includes the other (an admin may do everything); chair and finance exclude each other.
SETUP_ROLES = ("admin", "chair", "finance")


@dataclass(frozen=True)
class Answers:
    """What the set-up form was given, as typed."""

    name: str
    channel_id: str
    year: str
    allocation: str
    priorities: str  # one per line
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> Slack user ids


@dataclass(frozen=True)
class SetUp:
    partnership: PartnershipInfo
    year: YearInfo
    roles: dict[str, tuple[str, ...]]


def may_set_up(actor: Actor, channel_id: str | None = None) -> None:
    """Whether this person may set up a partnership (in this channel, once it is chosen): only
    the tracker's own admins, in a channel that belongs to no partnership yet. Asked before the
    form opens and again when it is saved; a refused person is recorded in the audit trail."""
    if not actor.superadmin:
        refuse(actor, None, ONLY_TRACKER_ADMINS, "tried to set up a partnership")
    if channel_id is None:
        return
    channel = partnerships.channel_id(channel_id)
    owner = partnerships.owner_of_channel(channel)
    if owner:
        raise Conflict(f"This channel already belongs to {owner}, so it cannot be another "
                       "partnership's working-group channel: set the new one up in its own "
                       "channel.", field="channel")


def _tell_of_setup(actor: Actor, partnership_id: int, year_id: int, channel: str,
                   granted: dict[str, tuple[str, ...]]) -> None:
    """The working group hears its channel is set up; everyone given a role hears it from whom;
    the admin who did it gets the summary."""
    ids = {"partnership": partnership_id, "year": year_id}
    notes.tell(Note(channel, "setup", "setup_channel", ids, partnership_id=partnership_id))
    for role, users in granted.items():
        for user in users:
            if user != actor.id:
                notes.tell(Note(user, "role", "role_granted",
                                {"partnership": partnership_id, "role": role, "by": actor.id},
                                partnership_id=partnership_id))
    notes.tell_actor(actor, "setup_done", {**ids, "roles": {r: list(u) for r, u in granted.items()}},
                     partnership_id=partnership_id)


def _roles(roles: dict[str, tuple[str, ...]]) -> tuple[dict[str, str], dict[str, str]]:
    """{user: role} from the pickers, and any problems against their fields."""
    chosen, errors = {}, {}
    for role in SETUP_ROLES:
        for user in dict.fromkeys(roles.get(role, ())):
            if not people.is_slack_user_id(user):
                errors[role] = f"“{user}” is not a Slack user."
            elif user in chosen and chosen[user] != "admin":
                errors[role] = (f"{label(user)} is already picked as {ROLE_NAMES[chosen[user]]}: "
                                "a person holds one role in a partnership (an admin can do "
                                "everything a chair or finance officer can).")
            elif user not in chosen:
                chosen[user] = role
    return chosen, errors


def set_up_partnership(actor: Actor, answers: Answers) -> SetUp:
    """Create the partnership with its working-group channel, this year and its roles, at once.

    Every mistake in the form comes back at once, each against its field (a name already taken,
    an amount that cannot be read, no priorities, a person picked for two roles); nothing is
    saved unless all of it is.
    """
    may_set_up(actor, answers.channel_id)
    channel = partnerships.channel_id(answers.channel_id)
    errors: dict[str, str] = {}
    values = {}
    checks = (("name", lambda: partnerships.checked_name(answers.name)),
              ("year", lambda: fiscal.parse_year(answers.year)),
              ("allocation", lambda: parse_amount(answers.allocation, field="allocation")),
              ("priorities", lambda: years.priorities_from_text(answers.priorities)))
    for name, check in checks:
        try:
            values[name] = check()
        except InvalidInput as refusal:
            errors[name] = refusal.message
    chosen, role_errors = _roles(answers.roles)
    errors.update(role_errors)
    if "name" in values and partnerships.exists(values["name"]):
        errors["name"] = (f"There is already a partnership called {values['name']}: choose "
                          "another name.")
    if errors:
        raise FieldErrors(errors)
    with write_transaction():
        info = partnerships.add_partnership(actor, values["name"], [channel])
        year = years.open_year(actor, info.id, fiscal.label(values["year"]), values["allocation"],
                               priorities=values["priorities"])
        for user, role in chosen.items():
            people.grant(actor, info.id, user, role)
        granted = {role: tuple(u for u, r in chosen.items() if r == role) for role in SETUP_ROLES}
        audit.record(actor, "partnership.setup", "partnership", info.id, partnership_id=info.id,
                     after={"name": info.name, "working_group_channel": channel,
                            "year": year.label, "allocation": answers.allocation.strip(),
                            "priorities": list(year.priorities),
                            **{role: list(users) for role, users in granted.items()}})
        _tell_of_setup(actor, info.id, year.id, channel, granted)
    return SetUp(partnerships.get(info.id), year, granted)
