"""Which partnership a Slack request is about.

A channel linked to a partnership settles it; otherwise (a DM, the App Home, an unlinked
channel) the person's own partnership is used, and when that is ambiguous the bot asks.
"""
import json
from dataclasses import dataclass

from backend.domain import partnerships, people
from backend.domain.actors import Actor
from backend.domain.errors import NotFound
from backend.settings import Settings


class NoPartnershipYet(NotFound):
    """The deployment has no partnership at all: the answer says how to set one up, from Slack."""


class NeedsPartnership(Exception):
    """The request could be about several partnerships: the person must pick one."""

    def __init__(self, choices: list[tuple[int, str]]):
        super().__init__("which partnership?")
        self.choices = choices


def actor_for(user_id: str, user_name: str, settings: Settings) -> Actor:
    return Actor(id=user_id, name=user_name or user_id,
                 superadmin=user_id in settings.admin_slack_ids)


def actor_of(body: dict, settings: Settings) -> Actor:
    """The person behind an interaction payload (a button, a modal submission)."""
    user = body["user"]
    return actor_for(user["id"], user.get("username") or user.get("name", ""), settings)


def partnerships_of_person(user_id: str) -> list[int]:
    """The person's partnerships; where the deployment has only one, that one."""
    mine = people.partnerships_of(user_id)
    if mine:
        return mine
    every = partnerships.list_partnerships()
    return [every[0].id] if len(every) == 1 else []


def json_object(text) -> dict:
    """A button's value or a modal's private_metadata as the app wrote it: a JSON object. A
    forged one that is not (bad JSON, a list, a string) is an empty one, so it names nothing
    and the service says so, rather than failing."""
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def number(text, digits: int = 9) -> int | None:
    """A whole number as a person typed it (or a button carries it): ASCII digits only, at most
    `digits` of them; anything else (a forged or far too large value) is None."""
    value = str(text if text is not None else "").strip().lstrip("#")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= digits else None


def offered_partnerships(user_id: str) -> list[int]:
    """What the person is asked to choose from when a request could mean several: their own
    partnerships, or (someone in none yet) every partnership."""
    return partnerships_of_person(user_id) or [p.id for p in partnerships.list_partnerships()]


def chosen_partnership(actor: Actor, value) -> int:
    """A partnership the person chose from a question (a button's value): one they were offered,
    or refused as forged (and recorded)."""
    chosen = number(value) or 0
    people.may_act_in(actor, chosen, offered_partnerships(actor.id))
    return chosen


def partnership_for(user_id: str, channel_id: str | None, forced: int | None = None) -> int:
    if forced:
        return forced
    if channel_id:
        linked = partnerships.partnership_for_channel(channel_id)
        if linked:
            return linked
    candidates = partnerships_of_person(user_id)
    if len(candidates) == 1:
        return candidates[0]
    every = partnerships.list_partnerships()
    if not every:
        raise NoPartnershipYet("No partnership has been set up yet: an admin can type "
                               "`/crg setup` in the working group's channel.")
    names = {p.id: p.name for p in every}
    raise NeedsPartnership([(pid, names[pid]) for pid in candidates] if candidates
                           else [(p.id, p.name) for p in every])


@dataclass
class SlackRequest:
    """What every command handler needs to know about the request it answers."""

    actor: Actor
    channel_id: str | None
    trigger_id: str | None
    client: object
    settings: Settings
    forced_partnership: int | None = None

    @property
    def partnership_id(self) -> int:
        return partnership_for(self.actor.id, self.channel_id, self.forced_partnership)


def slack_origin(body: dict) -> str | None:
    """The channel a command was typed in or a button pressed in; None for a modal or an event."""
    if "command" in body:
        return body.get("channel_id")
    if body.get("type") == "block_actions":
        return ((body.get("container") or {}).get("channel_id")
                or (body.get("channel") or {}).get("id"))
    return None
