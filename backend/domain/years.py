"""Opening a partnership's financial years and finding them again.

Opening a year splits the allocation into the two pots, funds them through the ledger, copies
the priorities and creates the usual deadlines, all in one transaction.
"""
from dataclasses import dataclass

from peewee import IntegrityError

from backend.domain import audit, deadlines, fiscal, ledger, times
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, InvalidInput, NotFound
from backend.domain.money import DEFAULT_SPLIT_RULE, format_pence, split_allocation
from backend.domain.partnerships import find_partnership
from backend.domain.permissions import require
from models import FinancialYear, Partnership, Pot, Priority

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


def year_info(year: FinancialYear) -> YearInfo:
    names = tuple(pr.name for pr in Priority.select().where(Priority.year == year)
                  .order_by(Priority.position))
    return YearInfo(year.id, year.partnership_id, year.partnership.name, year.label,
                    year.start_year, year.allocation_pence, year.upfront_pence,
                    year.tactical_pence, year.split_rule, names, year.rolled_over_at is not None)


def open_year(actor: Actor, partnership_name: str, year_label: str, allocation_pence: int,
              *, split_rule: str = DEFAULT_SPLIT_RULE,
              priorities: list[str] | None = None) -> YearInfo:
    """Open a financial year: split the allocation into the two pots and fund them.

    The split is stored with the year (conditions change), and the money enters the ledger as
    two allocation entries, so the pots are sums of the ledger from the first day.
    """
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
                tactical_pence=tactical, split_rule=split_rule, opened_at=times.now())
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
        current = fiscal.year_of(times.today_local())
        year = years.order_by((FinancialYear.start_year == current).desc(),
                              FinancialYear.start_year.desc()).first()
        if not year:
            raise NotFound(f"{partnership.name} has no financial year yet; open one with "
                           f"`crg year open`.")
    year.partnership = partnership  # already in hand: spares callers a query
    return year


def get(year_id: int) -> YearInfo:
    return year_info(FinancialYear.get_by_id(year_id))


def start_of(year_id: int) -> int:
    """The calendar year a financial year starts in: 2024 for 2024/25."""
    return FinancialYear.get_by_id(year_id).start_year
