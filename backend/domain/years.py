"""Opening a partnership's financial years and finding them again.

Opening a year splits the allocation into the two pots, funds them through the ledger, copies
the priorities and creates the usual deadlines, all in one transaction.
"""
from dataclasses import dataclass

from peewee import IntegrityError

from backend.domain import audit, conditions, deadlines, fiscal, ledger, times
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, FieldErrors, InvalidInput, NotFound
from backend.domain.money import DEFAULT_SPLIT_RULE, format_pence, parse_amount, split_allocation
from backend.domain.outbox import notes
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
MAX_PRIORITY = 150  # a priority's name is also the proposal form's option value: Slack's limit


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
              priorities: list[str] | None = None, usual_deadlines: bool = True) -> YearInfo:
    """Open a financial year: split the allocation into the two pots and fund them.

    The split is stored with the year (conditions change), and the money enters the ledger as
    two allocation entries, so the pots are sums of the ledger from the first day. The year's
    usual deadlines are made with it, unless `usual_deadlines` is False (a year written after
    the fact, like the demo's: see `add_usual_deadlines`).
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
            raise Conflict(f"{partnership.name} already has a {fiscal.label(start)} year.",
                           field="year")
        try:
            year = FinancialYear.create(
                partnership=partnership, start_year=start, label=fiscal.label(start),
                allocation_pence=allocation_pence, upfront_pence=upfront,
                tactical_pence=tactical, split_rule=split_rule, opened_at=times.now())
        except IntegrityError:
            raise Conflict(f"{partnership.name} already has a {fiscal.label(start)} year.",
                           field="year")
        pots = {kind: Pot.create(year=year, kind=kind) for kind in POT_KINDS}
        for kind, share in (("upfront", upfront), ("tactical", tactical)):
            if share:  # a tiny allocation can leave the upfront share at £0
                ledger.post(pots[kind], ledger.ALLOCATION, share, actor, memo="share of allocation")
        names = priorities if priorities is not None else _previous_priorities(partnership, start)
        for position, name in enumerate(dict.fromkeys(n.strip() for n in names if n.strip())):
            Priority.create(year=year, name=name, position=position)
        if usual_deadlines:
            deadlines.create_from_template(actor, year)  # the usual deadlines, in this transaction
        conditions.attach_year(actor, year.id)  # the grant's usual conditions, on its projects
        audit.record(actor, "year.open", "year", year.id, partnership_id=partnership.id,
                     after={"label": year.label, "allocation": format_pence(allocation_pence),
                            "upfront": format_pence(upfront), "tactical": format_pence(tactical),
                            "split_rule": split_rule})
        notes.tell_actor(actor, "year_opened", {"year": year.id}, partnership_id=partnership.id)
    return year_info(year)


def may_open(actor: Actor, partnership_id: int) -> None:
    """Whether this person may open the partnership's years (its admins): asked before a form
    opens and again as the year is opened; a refusal is audited."""
    require(actor, partnership_id, doing="open a financial year")


def open_year_from_form(actor: Actor, partnership_id: int, year_label: str, allocation: str,
                        priorities: str) -> YearInfo:
    """`open_year` from what a person typed into a form: every problem at once, each against
    its field (the year, the allocation, the priorities, one per line)."""
    errors, start, pence, names = {}, None, None, []
    for field, read in (("year", lambda: fiscal.parse_year(year_label)),
                        ("allocation", lambda: parse_amount(allocation, field="allocation")),
                        ("priorities", lambda: priorities_from_text(priorities))):
        try:
            value = read()
        except InvalidInput as refusal:
            errors[field] = refusal.message
            continue
        if field == "year":
            start = value
        elif field == "allocation":
            pence = value
        else:
            names = value
    if errors:
        raise FieldErrors(errors)
    may_open(actor, partnership_id)
    return open_year(actor, partnership_id, fiscal.label(start), pence, priorities=names)


def priorities_from_text(text: str) -> list[str]:
    """Community Safety Agreement priorities typed one per line (blank lines and repeats go)."""
    names = list(dict.fromkeys(" ".join(line.split()) for line in (text or "").splitlines()))
    names = [n for n in names if n]
    if not names:
        raise InvalidInput("Give at least one Community Safety Agreement priority, one per line: "
                           "proposals are made against them.", field="priorities")
    long = [n for n in names if len(n) > MAX_PRIORITY]
    if long:
        raise InvalidInput(f"Keep each priority to {MAX_PRIORITY} characters; “{long[0][:40]}…” "
                           "is longer.", field="priorities")
    return names


def split_line(allocation_text: str, rule: str = DEFAULT_SPLIT_RULE) -> str:
    """What the split of an allocation typed so far would be, for the line under its input."""
    if not (allocation_text or "").strip():
        return ("Type the year's allocation (like 39,661): its split into the upfront and "
                "tactical pots shows here.")
    try:
        pence = parse_amount(allocation_text, field="allocation")
    except InvalidInput as refusal:
        return refusal.message
    upfront, tactical = split_allocation(pence, rule)
    return (f"{format_pence(pence)} splits into upfront {format_pence(upfront)} (two thirds, "
            f"rounded down to the pound) and tactical {format_pence(tactical)}.")


def suggested_next(partnership_id: int) -> tuple[str, list[str]]:
    """The year a partnership would open next (the one after its latest, else this one) and
    the priorities it would start with (its latest year's, else the usual eight)."""
    partnership = find_partnership(partnership_id)
    latest = (FinancialYear.select().where(FinancialYear.partnership == partnership)
              .order_by(FinancialYear.start_year.desc()).first())
    start = latest.start_year + 1 if latest else fiscal.year_of(times.today_local())
    return fiscal.label(start), _previous_priorities(partnership, start)


def add_usual_deadlines(actor: Actor, year_id: int) -> int:
    """The year's usual deadlines still to come, for a year opened without them; how many."""
    with write_transaction():
        return len(deadlines.create_from_template(actor, FinancialYear.get_by_id(year_id)))


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
            raise NotFound(f"{partnership.name} has no {fiscal.label(start)} year yet; an admin "
                           f"can open it with `/crg year open` in Slack (or `crg year open`).")
    else:
        current = fiscal.year_of(times.today_local())
        year = years.order_by((FinancialYear.start_year == current).desc(),
                              FinancialYear.start_year.desc()).first()
        if not year:
            raise NotFound(f"{partnership.name} has no financial year yet; an admin can open "
                           f"one with `/crg year open` in Slack (or `crg year open`).")
    year.partnership = partnership  # already in hand: spares callers a query
    return year


def ids_of_every_partnership(year_label: str | None = None) -> tuple[int, tuple[int, ...]]:
    """The financial year asked for across every partnership (the current one by default): its
    first calendar year and each partnership's year of it. Refused while no partnership has it,
    so the OPCC's workbook or return is never an empty file."""
    start = fiscal.parse_year(year_label) if year_label else fiscal.year_of(times.today_local())
    ids = tuple(y.id for y in FinancialYear.select(FinancialYear.id)
                .where(FinancialYear.start_year == start).order_by(FinancialYear.id))
    if not ids:
        raise NotFound(f"No partnership has a {fiscal.label(start)} year yet.")
    return start, ids


def get(year_id: int) -> YearInfo:
    return year_info(FinancialYear.get_by_id(year_id))


def start_of(year_id: int) -> int:
    """The calendar year a financial year starts in: 2024 for 2024/25."""
    return FinancialYear.get_by_id(year_id).start_year
