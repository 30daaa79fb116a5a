"""Setting up partnerships: their names, their Slack channels, and finding them again.

Their financial years are `backend.domain.years`'.
"""
import re
from dataclasses import dataclass

from backend.domain import audit, times
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, InvalidInput, NotFound
from backend.domain.permissions import refuse, require
from models import Channel, FinancialYear, Partnership

MAX_NAME = 100
ONLY_TRACKER_ADMINS = ("Only the tracker's own admins (the people named in its ADMIN_SLACK_IDS "
                       "setting) can set up a partnership.")
# A Slack channel id: C... for a channel, G... for an older private one (upper case and digits;
# the tests' own ids also use underscores).
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9_]{2,}$")
HOW_TO_FIND_A_CHANNEL_ID = (
    "In Slack, open the channel, click its name at the top, and the channel id (like "
    "C0123ABCD) is at the bottom of the About tab. Or, simpler, type /crg setup (or "
    "/crg channel link) in the channel itself, which needs no id.")


@dataclass(frozen=True)
class PartnershipInfo:
    id: int
    name: str
    channels: tuple[str, ...]
    working_group_channel: str | None
    years: tuple[str, ...]


def _partnership_info(p: Partnership) -> PartnershipInfo:
    return _infos([p])[0]


def _infos(found: list[Partnership]) -> list[PartnershipInfo]:
    """The partnerships with their channels and years: three queries however many there are."""
    ids = [p.id for p in found]
    channels: dict[int, list[Channel]] = {pid: [] for pid in ids}
    years: dict[int, list[str]] = {pid: [] for pid in ids}
    if ids:
        for c in Channel.select().where(Channel.partnership.in_(ids)).order_by(Channel.id):
            channels[c.partnership_id].append(c)
        for pid, label in (FinancialYear.select(FinancialYear.partnership, FinancialYear.label)
                           .where(FinancialYear.partnership.in_(ids))
                           .order_by(FinancialYear.start_year).tuples()):
            years[pid].append(label)
    return [PartnershipInfo(p.id, p.name, tuple(c.slack_channel_id for c in channels[p.id]),
                            next((c.slack_channel_id for c in channels[p.id]
                                  if c.is_working_group), None), tuple(years[p.id]))
            for p in found]


def channel_id(text: str) -> str:
    """A Slack channel id, or a refusal saying how to find one (a #name is not an id)."""
    cleaned = (text or "").strip()
    if not _CHANNEL_ID.match(cleaned):
        raise InvalidInput(f"“{cleaned or 'nothing'}” is not a Slack channel id: a channel is "
                           f"named by its id, which starts with C (or G), not by its #name. "
                           f"{HOW_TO_FIND_A_CHANNEL_ID}", field="channel")
    return cleaned


def checked_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Give the partnership a name, e.g. “Northshire CSP”.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"Keep the partnership's name to {MAX_NAME} characters.", field="name")
    return name


def owner_of_channel(channel: str) -> str | None:
    """The name of the partnership a channel already belongs to, if any."""
    found = Channel.get_or_none(Channel.slack_channel_id == channel)
    return found.partnership.name if found else None


def add_partnership(actor: Actor, name: str, channels: list[str] = ()) -> PartnershipInfo:
    """A new partnership; the first channel given becomes its working-group channel."""
    name = checked_name(name)
    channels = [channel_id(c) for c in channels]
    if not actor.superadmin:
        refuse(actor, None, ONLY_TRACKER_ADMINS, "tried to add a partnership")
    with write_transaction():
        if Partnership.get_or_none(Partnership.name == name):
            raise Conflict(f"There is already a partnership called {name}.", field="name")
        partnership = Partnership.create(name=name, created_at=times.now())
        for position, channel in enumerate(channels):
            _attach_channel(partnership, channel, working_group=position == 0)
        audit.record(actor, "partnership.add", "partnership", partnership.id,
                     partnership_id=partnership.id, after={"name": name, "channels": list(channels)})
    return _partnership_info(partnership)


def _attach_channel(partnership: Partnership, channel_id: str, working_group: bool) -> None:
    channel_id = channel_id.strip()
    owner = Channel.get_or_none(Channel.slack_channel_id == channel_id)
    if owner:
        raise Conflict(f"That channel already belongs to {owner.partnership.name}.",
                       field="channel")
    Channel.create(partnership=partnership, slack_channel_id=channel_id,
                   is_working_group=working_group)


def may_link_channel(actor: Actor, partnership_id: int) -> None:
    """Whether this person may link channels to the partnership (its admins): asked before
    anything is done in Slack, and again as the link is made; a refusal is audited."""
    require(actor, partnership_id, doing="link a channel to the partnership")


def add_channel(actor: Actor, partnership_name, channel: str,
                working_group: bool = False) -> PartnershipInfo:
    """Link a Slack channel to a partnership (optionally as its working-group channel)."""
    channel = channel_id(channel)
    partnership = find_partnership(partnership_name)
    may_link_channel(actor, partnership.id)
    with write_transaction():
        require(actor, partnership.id, doing="link a channel to the partnership")
        existing = Channel.get_or_none(Channel.slack_channel_id == channel)
        if existing and existing.partnership_id == partnership.id:
            if not working_group or existing.is_working_group:
                raise Conflict(f"That channel is already linked to {partnership.name}"
                               + (" as its working-group channel." if existing.is_working_group
                                  else "."), field="channel")
            existing.delete_instance()  # linked already: it only becomes the working group's
        if working_group:
            (Channel.update(is_working_group=False)
             .where(Channel.partnership == partnership).execute())
        _attach_channel(partnership, channel, working_group)
        audit.record(actor, "partnership.channel", "partnership", partnership.id,
                     partnership_id=partnership.id,
                     after={"channel": channel, "working_group": working_group})
    return _partnership_info(partnership)


def find_partnership(name_or_id) -> Partnership:
    text = str(name_or_id).strip()
    found = (Partnership.get_or_none(Partnership.id == int(text)) if text.isdigit() else None) \
        or Partnership.get_or_none(Partnership.name == text) \
        or Partnership.select().where(Partnership.name ** text).first()
    if not found:
        known = ", ".join(p.name for p in Partnership.select().order_by(Partnership.name)) or "none yet"
        raise NotFound(f"There is no partnership called “{text}” (known: {known}).")
    return found


def exists(name: str) -> bool:
    return Partnership.select().where(Partnership.name == checked_name(name)).exists()


def get(partnership_id: int) -> PartnershipInfo:
    return _partnership_info(Partnership.get_by_id(partnership_id))


def name_of(partnership_id: int) -> str:
    return Partnership.get_by_id(partnership_id).name


def list_partnerships() -> list[PartnershipInfo]:
    return _infos(list(Partnership.select().order_by(Partnership.name)))


def working_group_channel(partnership_id: int) -> str | None:
    channel = Channel.get_or_none((Channel.partnership == partnership_id)
                                  & (Channel.is_working_group == True))  # noqa: E712
    return channel.slack_channel_id if channel else None


def partnership_for_channel(channel_id: str) -> int | None:
    channel = Channel.get_or_none(Channel.slack_channel_id == channel_id)
    return channel.partnership_id if channel else None
