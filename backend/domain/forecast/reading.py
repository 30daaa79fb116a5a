"""Reading what a forecast needs, for any number of partnership-years, in a fixed number of
queries: the years, their ledger sums, the funded projects, their re-profiles and newest progress
reports, and their spend added up by the database (per project, and per month).

Each query is turned into SQL once per number of years (`prepared`): the figures are asked for on
every dashboard page, and building these queries' SQL costs as much as running them. Rows are
read as the driver gives them, without peewee's conversion of every value (on a big year that
conversion costs more than the query); the few dates needed are converted by `as_date` /
`as_moment`.
"""
from collections import defaultdict
from datetime import date, datetime

from peewee import SQL, Case, Cast, NodeList, Value, fn

from backend.domain.database import is_postgres
from backend.domain.forecast.access import Scope
from backend.domain.forecast.profiles import Reprofile
from backend.domain.forecast.rule import QUARTERS, month_ends, quarter_bounds
from backend.domain.ledger import SPEND, SPEND_REVERSAL
from backend.domain.pots import EFFECTS
from backend.domain.prepared import Prepared, slot
from backend.domain.progress import newest_reports
from models import (
    FinancialYear,
    LedgerEntry,
    Partnership,
    Pot,
    ProgressReport,
    Proposal,
    SpendProfile,
)

# The projects the PCC funded: approved ones, and cancelled ones that spent something.
FUNDED = (Proposal.status == "approved") | ((Proposal.status == "cancelled")
                                           & (Proposal.approved_pence > 0))


def pot_sums(year_ids: list[int]) -> dict[tuple[int, str], list[int]]:
    """{(year, pot kind): [allocated, committed]} from the ledger, in one aggregate query."""
    totals = defaultdict(lambda: [0, 0])
    for year_id, pot_kind, kind, total in prepared(_ledger_sums, len(year_ids)).rows(
            **year_values(year_ids)):
        allocated, committed, _ = EFFECTS[kind]
        totals[(year_id, pot_kind)][0] += allocated * int(total)
        totals[(year_id, pot_kind)][1] += committed * int(total)
    return totals


def _ledger_sums(n: int, scoped: bool):
    return (LedgerEntry.select(Pot.year, Pot.kind, LedgerEntry.kind,
                               fn.SUM(LedgerEntry.amount_pence))
            .join(Pot).where(Pot.year.in_(year_slots(n)))
            .group_by(Pot.year, Pot.kind, LedgerEntry.kind))


def years_query(n: int, scoped: bool):
    return (FinancialYear.select(FinancialYear, Partnership).join(Partnership)
            .where(FinancialYear.id.in_(year_slots(n)))
            .order_by(Partnership.name, FinancialYear.start_year))


def newest_reports_query(n: int, scoped: bool):
    """Each funded project's newest report dated by the forecast's day (slot `on`): a return
    taken at 30 September says what the leads reported by then, beside that day's figures."""
    funded = Proposal.select(Proposal.id).where(Proposal.year.in_(year_slots(n)) & FUNDED)
    return newest_reports(funded.where(led_by(slot("person"))) if scoped else funded,
                          slot("on", ProgressReport.reported_on))


def as_date(value) -> date | None:
    """A date column's value as the driver gives it (the rows are read without peewee's
    conversion of every value, which costs more than the query on a big year): a date from
    PostgreSQL, 'YYYY-MM-DD' text from SQLite."""
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def as_moment(value) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _signed_spend():
    """A spend line's amount as it moves the spent total: reversals count against it."""
    return Case(LedgerEntry.kind, ((SPEND, LedgerEntry.amount_pence),),
                LedgerEntry.amount_pence * -1)


def _spend_lines(n: int, scoped: bool):
    """Spend lines of `n` years (slots y0...), of the projects a person leads if `scoped`."""
    query = (LedgerEntry.select().join(Proposal)
             .where(Proposal.year.in_(year_slots(n))
                    & LedgerEntry.kind.in_((SPEND, SPEND_REVERSAL))))
    return query.where(led_by(slot("person"))) if scoped else query


def _by_project(n: int, scoped: bool):
    """Per project: spent by `on`, and in each quarter by `on` (slots q1s, q1e ... q4e)."""
    signed = _signed_spend()
    upto = Case(None, ((LedgerEntry.occurred_on <= slot("on"), signed),), 0)
    quarters = [fn.SUM(Case(None, (((LedgerEntry.occurred_on >= slot(f"q{q}s"))
                                    & (LedgerEntry.occurred_on <= slot(f"q{q}e")), signed),), 0))
                for q in QUARTERS]
    return (_spend_lines(n, scoped).select(LedgerEntry.proposal, fn.SUM(upto), *quarters)
            .group_by(LedgerEntry.proposal))


def _by_month(n: int, scoped: bool):
    """Per year and month of the year (slots m0 ... m11, the month ends): spent, and by `on`."""
    signed = _signed_spend()
    upto = Case(None, ((LedgerEntry.occurred_on <= slot("on"), signed),), 0)
    month = Case(None, [(LedgerEntry.occurred_on <= slot(f"m{i}"), i) for i in range(12)], 12)
    return (_spend_lines(n, scoped).select(Proposal.year, month, fn.SUM(signed), fn.SUM(upto))
            .group_by(Proposal.year, month))


_PREPARED: dict[tuple, Prepared] = {}


def prepared(build, n: int, scoped: bool = False) -> Prepared:
    """`build(n, scoped)` turned into SQL once for each number of years (and scope): the
    figures are asked for often, and building these queries' SQL costs as much as running it."""
    key = (build.__name__, n, scoped)
    if key not in _PREPARED:
        _PREPARED[key] = Prepared(lambda: build(n, scoped))
    return _PREPARED[key]


def year_slots(n: int) -> list:
    return [slot(f"y{i}") for i in range(n)]


def year_values(year_ids: list[int]) -> dict[str, int]:
    return {f"y{i}": year_id for i, year_id in enumerate(year_ids)}


def spend_figures(start_year: int, year_ids: list[int], on: date,
                   scope: Scope | None) -> tuple[dict, dict]:
    """The spend of years that start in the same calendar year, added up by the database:
    ({project: (spent to date, Q1, Q2, Q3, Q4 to date)}, {year: [(month, spent, to date)]}).

    Two queries whatever the number of spend lines; the quarter and month boundaries are
    parameters, which is why years are taken one start year at a time.
    """
    scoped = scope is not None and not scope.whole
    values = {**year_values(year_ids), "on": on, "person": scope.person if scoped else ""}
    for q in QUARTERS:
        first, last = quarter_bounds(start_year, q)
        values[f"q{q}s"], values[f"q{q}e"] = first, min(last, on)
    values.update({f"m{i}": end for i, end in enumerate(month_ends(start_year))})
    per_project = prepared(_by_project, len(year_ids), scoped).rows(**values)
    months = defaultdict(list)
    for year_id, index, total, to_date in prepared(_by_month, len(year_ids),
                                                    scoped).rows(**values):
        months[year_id].append((int(index), int(total), int(to_date)))
    return ({row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4]), int(row[5]))
             for row in per_project}, months)


def reprofiles(year_ids: list[int]) -> dict[int, Reprofile]:
    """The newest re-profile of each project of the years, in one query."""
    rows = prepared(_reprofile_rows, len(year_ids)).rows(**year_values(year_ids))
    return {pid: Reprofile((int(q1), int(q2), int(q3), int(q4)), reason, by, as_moment(at))
            for pid, q1, q2, q3, q4, reason, by, at in rows}


def _reprofile_rows(n: int, scoped: bool):
    return (SpendProfile.select(SpendProfile.proposal, SpendProfile.q1_pence, SpendProfile.q2_pence,
                                SpendProfile.q3_pence, SpendProfile.q4_pence, SpendProfile.reason,
                                SpendProfile.set_by, SpendProfile.set_at)
            .join(Proposal).where(Proposal.year.in_(year_slots(n)))
            .order_by(SpendProfile.set_at, SpendProfile.id))


def funded_projects(n: int, scoped: bool):
    """The funded projects of `n` years (slots y0...), with what a forecast needs of each."""
    query = (Proposal.select(Proposal.id, Proposal.year, Proposal.number, Proposal.title,
                             Proposal.lead_organisation, Proposal.contact_name,
                             Proposal.proposer_slack_id, Proposal.contact_slack_id, Proposal.pot,
                             Proposal.status, Proposal.approved_pence, *_planned_quarters(),
                             Proposal.planned_start, Proposal.planned_end, Proposal.pcc_decided_at)
             .where(Proposal.year.in_(year_slots(n)) & FUNDED)
             .order_by(Proposal.year, Proposal.number))
    return query.where(led_by(slot("person"))) if scoped else query


def _planned_quarters() -> list:
    """The proposal's planned spend of each quarter, read out of its JSON by the database (it
    does so faster than Python would, a project at a time); NULL where a quarter is not given."""
    if is_postgres():
        return [Cast(NodeList((Cast(Proposal.planned_spend, "json"), SQL("->>"), Value(f"Q{q}"))),
                     "bigint") for q in QUARTERS]
    return [fn.json_extract(Proposal.planned_spend, f"$.Q{q}") for q in QUARTERS]


def led_by(person):
    return (Proposal.proposer_slack_id == person) | (Proposal.contact_slack_id == person)
