"""Setting up partnerships: their names, their Slack channels, and finding them again.

Their financial years are `backend.domain.years`'.
"""
from dataclasses import dataclass

from backend.domain import audit, times
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, InvalidInput, NotFound
from backend.domain.permissions import require
from models import Channel, FinancialYear, Partnership


@dataclass(frozen=True)
class PartnershipInfo:
    id: int
    name: str
    channels: tuple[str, ...]
    working_group_channel: str | None
    years: tuple[str, ...]


def _partnership_info(p: Partnership) -> PartnershipInfo:
    channels = list(Channel.select().where(Channel.partnership == p).order_by(Channel.id))
    wg = next((c.slack_channel_id for c in channels if c.is_working_group), None)
    years = [y.label for y in FinancialYear.select().where(FinancialYear.partnership == p)
             .order_by(FinancialYear.start_year)]
    return PartnershipInfo(p.id, p.name, tuple(c.slack_channel_id for c in channels), wg,
                           tuple(years))


def add_partnership(actor: Actor, name: str, channels: list[str] = ()) -> PartnershipInfo:
    """A new partnership; the first channel given becomes its working-group channel."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Give the partnership a name, e.g. “Northshire CSP”.", field="name")
    if not actor.superadmin:
        raise InvalidInput("Only an admin named in ADMIN_SLACK_IDS or the command line can add a "
                           "partnership.")
    with write_transaction():
        if Partnership.get_or_none(Partnership.name == name):
            raise Conflict(f"There is already a partnership called {name}.")
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
        raise Conflict(f"Channel {channel_id} already belongs to {owner.partnership.name}.")
    Channel.create(partnership=partnership, slack_channel_id=channel_id,
                   is_working_group=working_group)


def add_channel(actor: Actor, partnership_name: str, channel_id: str,
                working_group: bool = False) -> PartnershipInfo:
    with write_transaction():
        partnership = find_partnership(partnership_name)
        require(actor, partnership.id, doing="link a channel to the partnership")
        if working_group:
            (Channel.update(is_working_group=False)
             .where(Channel.partnership == partnership).execute())
        _attach_channel(partnership, channel_id, working_group)
        audit.record(actor, "partnership.channel", "partnership", partnership.id,
                     partnership_id=partnership.id,
                     after={"channel": channel_id, "working_group": working_group})
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


def name_of(partnership_id: int) -> str:
    return Partnership.get_by_id(partnership_id).name


def list_partnerships() -> list[PartnershipInfo]:
    return [_partnership_info(p) for p in Partnership.select().order_by(Partnership.name)]


def working_group_channel(partnership_id: int) -> str | None:
    channel = Channel.get_or_none((Channel.partnership == partnership_id)
                                  & (Channel.is_working_group == True))  # noqa: E712
    return channel.slack_channel_id if channel else None


def partnership_for_channel(channel_id: str) -> int | None:
    channel = Channel.get_or_none(Channel.slack_channel_id == channel_id)
    return channel.partnership_id if channel else None
