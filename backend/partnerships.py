"""Setting up partnerships and opening their financial years."""
from dataclasses import dataclass

from peewee import IntegrityError

from backend import audit, clock, fiscal
from backend.actors import Actor, require
from backend.database import write_transaction
from backend.errors import Conflict, InvalidInput, NotFound
from backend.money import DEFAULT_SPLIT_RULE, format_pence, split_allocation
from models import Channel, FinancialYear, Partnership, Pot, Priority

# The Community Safety Agreement priorities in the partnership's papers. A new year copies the
# previous year's list (priorities are refreshed yearly, so they are data), or starts from these.
DEFAULT_PRIORITIES = (
    "Preventing Neighbourhood Crime & ASB",
    "Domestic Abuse",
    "Substance Misuse",
    "Safeguarding Vulnerable People",
    "Serious Violence and Organised Crime",
    "Preventing Extremism and Hate",
    "Road Safety",
    "Violence Against Women and Girls",
)
POT_KINDS = ("upfront", "tactical")


@dataclass(frozen=True)
class PartnershipInfo:
    id: int
    name: str
    channels: tuple[str, ...]
    working_group_channel: str | None
    years: tuple[str, ...]


@dataclass(frozen=True)
class YearInfo:
    id: int
    partnership_id: int
    partnership: str
    label: str
    start_year: int
    allocation_pence: int
    upfront_pence: int
    tactical_pence: int
    split_rule: str
    priorities: tuple[str, ...]
    rolled_over: bool


def _partnership_info(p: Partnership) -> PartnershipInfo:
    channels = list(Channel.select().where(Channel.partnership == p).order_by(Channel.id))
    wg = next((c.slack_channel_id for c in channels if c.is_working_group), None)
    years = [y.label for y in FinancialYear.select().where(FinancialYear.partnership == p)
             .order_by(FinancialYear.start_year)]
    return PartnershipInfo(p.id, p.name, tuple(c.slack_channel_id for c in channels), wg,
                           tuple(years))


def year_info(year: FinancialYear) -> YearInfo:
    names = tuple(pr.name for pr in Priority.select().where(Priority.year == year)
                  .order_by(Priority.position))
    return YearInfo(year.id, year.partnership_id, year.partnership.name, year.label,
                    year.start_year, year.allocation_pence, year.upfront_pence,
                    year.tactical_pence, year.split_rule, names, year.rolled_over_at is not None)


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
        partnership = Partnership.create(name=name, created_at=clock.now())
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


def list_partnerships() -> list[PartnershipInfo]:
    return [_partnership_info(p) for p in Partnership.select().order_by(Partnership.name)]


def working_group_channel(partnership_id: int) -> str | None:
    channel = Channel.get_or_none((Channel.partnership == partnership_id)
                                  & (Channel.is_working_group == True))  # noqa: E712
    return channel.slack_channel_id if channel else None


def partnership_for_channel(channel_id: str) -> int | None:
    channel = Channel.get_or_none(Channel.slack_channel_id == channel_id)
    return channel.partnership_id if channel else None


def open_year(actor: Actor, partnership_name: str, year_label: str, allocation_pence: int,
              *, split_rule: str = DEFAULT_SPLIT_RULE,
              priorities: list[str] | None = None) -> YearInfo:
    """Open a financial year: split the allocation into the two pots and fund them.

    The split is stored with the year (conditions change), and the money enters the ledger as
    two allocation entries, so the pots are sums of the ledger from the first day.
    """
    from backend import deadlines, ledger

    start = fiscal.parse_year(year_label)
    if allocation_pence <= 0:
        raise InvalidInput("The allocation must be more than £0.", field="allocation")
    upfront, tactical = split_allocation(allocation_pence, split_rule)
    with write_transaction():
        partnership = find_partnership(partnership_name)
        require(actor, partnership.id, doing="open a financial year")
        if FinancialYear.get_or_none((FinancialYear.partnership == partnership)
                                     & (FinancialYear.start_year == start)):
            raise Conflict(f"{partnership.name} already has a {fiscal.label(start)} year.")
        try:
            year = FinancialYear.create(
                partnership=partnership, start_year=start, label=fiscal.label(start),
                allocation_pence=allocation_pence, upfront_pence=upfront,
                tactical_pence=tactical, split_rule=split_rule, opened_at=clock.now())
        except IntegrityError:
            raise Conflict(f"{partnership.name} already has a {fiscal.label(start)} year.")
        pots = {kind: Pot.create(year=year, kind=kind) for kind in POT_KINDS}
        for kind, share in (("upfront", upfront), ("tactical", tactical)):
            if share:  # a tiny allocation can leave the upfront share at £0
                ledger.post(pots[kind], ledger.ALLOCATION, share, actor, memo="share of allocation")
        names = priorities if priorities is not None else _previous_priorities(partnership, start)
        for position, name in enumerate(dict.fromkeys(n.strip() for n in names if n.strip())):
            Priority.create(year=year, name=name, position=position)
        deadlines.create_from_template(actor, year)  # the usual deadlines, in this transaction
        audit.record(actor, "year.open", "year", year.id, partnership_id=partnership.id,
                     after={"label": year.label, "allocation": format_pence(allocation_pence),
                            "upfront": format_pence(upfront), "tactical": format_pence(tactical),
                            "split_rule": split_rule})
    return year_info(year)


def _previous_priorities(partnership: Partnership, start: int) -> list[str]:
    previous = (FinancialYear.select().where((FinancialYear.partnership == partnership)
                                             & (FinancialYear.start_year < start))
                .order_by(FinancialYear.start_year.desc()).first())
    if previous is None:
        return list(DEFAULT_PRIORITIES)
    return [p.name for p in Priority.select().where(Priority.year == previous)
            .order_by(Priority.position)]


def find_year(partnership_name_or_id, year_label: str | None = None) -> FinancialYear:
    """A partnership's year by label, or its current one (today's, else the latest opened)."""
    partnership = find_partnership(partnership_name_or_id)
    years = FinancialYear.select().where(FinancialYear.partnership == partnership)
    if year_label:
        start = fiscal.parse_year(year_label)
        year = years.where(FinancialYear.start_year == start).first()
        if not year:
            raise NotFound(f"{partnership.name} has no {fiscal.label(start)} year yet; "
                           f"open it with `crg year open`.")
    else:
        current = fiscal.year_of(clock.today_local())
        year = years.order_by((FinancialYear.start_year == current).desc(),
                              FinancialYear.start_year.desc()).first()
        if not year:
            raise NotFound(f"{partnership.name} has no financial year yet; open one with "
                           f"`crg year open`.")
    year.partnership = partnership  # already in hand: spares callers a query
    return year
