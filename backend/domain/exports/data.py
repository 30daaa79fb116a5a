"""Everything an export needs for a set of partnership-years, read in a fixed number of queries.

One query each for the years, the spend totals, the funded projects and their latest progress,
plus the ledger figures of each year; then one each for the spend lines and the decisions, which
are streamed while the sheet is written. The count depends on the number of years, never on the
number of projects, so the OPCC's all-partnerships workbook stays fast; rows are read without
peewee's row cache and kept as small slotted records, so ten thousand projects fit in little
memory.
"""
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from peewee import fn

from backend.domain import claims, conditions, directory, fiscal, times
from backend.domain.errors import Conflict
from backend.domain.ledger import SPEND, SPEND_REVERSAL
from backend.domain.money import format_pence
from backend.domain.pots import YearFigures, year_figures
from backend.domain.progress import ProgressView, latest_progress
from backend.domain.scoring import results as scoring_results
from backend.domain.scoring.words import place
from backend.domain.workflow import DECISIONS, reference
from models import AuditRecord, FinancialYear, LedgerEntry, Partnership, Proposal

SPEND_KINDS = (SPEND, SPEND_REVERSAL)
# The projects the PCC funded: approved ones, and cancelled ones (which may have spent).
FUNDED_STATUSES = ("approved", "cancelled")
DECISION_ACTIONS = tuple(f"proposal.{a}" for a in DECISIONS)


@dataclass(frozen=True, slots=True)
class YearRow:
    id: int
    partnership_id: int
    partnership: str
    label: str
    start_year: int
    allocation: int
    upfront_share: int
    tactical_share: int
    split_rule: str
    figures: YearFigures


@dataclass(frozen=True, slots=True)
class ProjectRow:
    id: int
    year_id: int
    partnership: str
    year_label: str
    ref: str
    title: str
    description: str
    lead_organisation: str
    contact_name: str
    pot: str
    priorities: tuple[str, ...]
    status: str
    amount_pence: int
    approved_pence: int
    wg_decided_at: datetime | None
    pcc_decided_at: datetime | None
    planned_start: date | None
    planned_end: date | None
    updated_at: datetime
    spend_by_quarter: tuple[int, int, int, int]
    latest: ProgressView | None

    @property
    def spent(self) -> int:
        return sum(self.spend_by_quarter)


@dataclass(frozen=True, slots=True)
class SpendRow:
    id: int
    year_id: int
    partnership: str
    year_label: str
    ref: str
    title: str
    spent_on: date
    quarter: int
    amount_pence: int  # negative for a reversing correction
    memo: str
    reference: str
    reverses_id: int | None
    actor: str
    created_at: datetime
    paid: str = ""  # "Claim CRG-2024/25-007/C1", or "Central" for spend finance recorded itself
    evidence: str = ""  # the claim's files

    @property
    def is_correction(self) -> bool:
        return self.reverses_id is not None


@dataclass(frozen=True, slots=True)
class DecisionRow:
    year_id: int
    partnership: str
    year_label: str
    ref: str
    title: str
    at: datetime
    actor: str
    action: str
    before_status: str
    after_status: str
    approved: str
    note: str


@dataclass(frozen=True, slots=True)
class ScoringRow:
    partnership: str
    year_label: str
    meeting: str
    ref: str
    title: str
    rank: str  # "1", "=2", or "" for a proposal nobody scored
    mean: float | None  # to two places
    member: str
    scores: str  # "Evidence of need 4; Value for money 3"
    member_score: float | None
    conflict: bool
    comment: str
    scored_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ExportData:
    """The years and their projects in memory; spend lines and decisions streamed on demand.

    A spend sheet has four spend lines and several decisions for every project, so those are
    read row by row while the sheet is written (one query each) instead of being held.
    """

    years: list[YearRow]
    projects: list[ProjectRow]
    spend_counts: dict[int, int]  # spend lines per year: where each year's block sits
    generated_at: datetime
    names: dict[str, str] = field(default_factory=dict)  # the directory: who recorded and decided

    def spend(self) -> Iterator[SpendRow]:
        """Every spend line and correction, year by year (in `years` order), then by date."""
        by_id = {y.id: y for y in self.years}
        paid = claims.paid_lines(list(by_id))
        rows = (LedgerEntry.select(LedgerEntry.id, Proposal.year, Proposal.number, Proposal.title,
                                   LedgerEntry.kind, LedgerEntry.amount_pence,
                                   LedgerEntry.occurred_on, LedgerEntry.memo,
                                   LedgerEntry.reference, LedgerEntry.reverses,
                                   LedgerEntry.actor, LedgerEntry.created_at)
                .join(Proposal).join(FinancialYear).join(Partnership)
                .where(Proposal.year.in_(list(by_id)) & LedgerEntry.kind.in_(SPEND_KINDS))
                .order_by(Partnership.name, FinancialYear.start_year, LedgerEntry.occurred_on,
                          LedgerEntry.id)
                .tuples().iterator())
        for (entry_id, year_id, number, title, kind, amount, on, memo, ref_text, reverses, actor,
             created) in rows:
            year = by_id[year_id]
            claim, files = paid.get(entry_id, ("", ()))
            how = f"Claim {claim}" if claim else ("Central" if kind != SPEND_REVERSAL else "")
            yield SpendRow(entry_id, year_id, year.partnership, year.label,
                           reference(year.label, number), title, on, fiscal.quarter_of(on),
                           -amount if kind == SPEND_REVERSAL else amount, memo, ref_text,
                           reverses, directory.describe_actor(actor, self.names), created,
                           how, "; ".join(files))

    def conditions(self) -> list[tuple]:
        """Each project's grant conditions, by project: (project, condition) pairs."""
        projects = {p.id: p for p in self.projects}
        found = conditions.for_projects(list(projects))
        return [(projects[c.proposal_id], c) for c in found]

    def scoring(self) -> list[ScoringRow]:
        """Who scored what, when, in the years' closed scoring rounds (never an open one)."""
        by_id = {y.id: y for y in self.years}
        rows = []
        for line in scoring_results.closed_sheets_of_years(list(by_id)):
            year, ranked, given = by_id[line.round.year_id], line.standing, line.given
            rank = "" if ranked.rank is None else place(ranked)
            rows.append(ScoringRow(
                year.partnership, year.label, line.round.meeting_title,
                reference(year.label, line.number), line.title, rank, _score(ranked.mean),
                directory.label(given.member, self.names),
                "; ".join(f"{name} {value}" for name, value in given.values),
                _score(given.weighted), given.conflict, given.comment, given.scored_at,
                given.updated_at))
        return rows

    def decisions(self) -> Iterator[DecisionRow]:
        """Every decision on the years' proposals (funded or not), year by year, oldest first."""
        by_id = {y.id: y for y in self.years}
        rows = (AuditRecord.select(AuditRecord.at, AuditRecord.actor, AuditRecord.action,
                                   AuditRecord.before, AuditRecord.after, Proposal.year,
                                   Proposal.number, Proposal.title)
                .join(Proposal, on=(AuditRecord.entity_id == Proposal.id))
                .join(FinancialYear).join(Partnership)
                .where((AuditRecord.entity == "proposal")
                       & AuditRecord.action.in_(DECISION_ACTIONS)
                       & Proposal.year.in_(list(by_id)))
                .order_by(Partnership.name, FinancialYear.start_year, AuditRecord.at,
                          AuditRecord.id)
                .tuples().iterator())
        for at, actor, action, before, after, year_id, number, title in rows:
            year = by_id[year_id]
            before, after = json.loads(before), json.loads(after)
            note = after.get("consent") or after.get("note") or ""
            yield DecisionRow(year_id, year.partnership, year.label, reference(year.label, number),
                              title, at, directory.describe_actor(actor, self.names),
                              action.removeprefix("proposal."),
                              before.get("status", ""), after.get("status", ""),
                              after.get("approved") or "", note)


def _score(value) -> float | None:
    """A mean or a member's score as its exact value: the cell's format shows two places,
    halves rounded up as Slack shows them (`scoring.words.two_places`); rounding here first
    would round 3.125 to even, 3.12, against Slack's 3.13."""
    return None if value is None else float(value)


def pounds(pence: int) -> int | float:
    """Pence as the number of pounds a spreadsheet cell or a 360Giving amount holds.

    Whole pounds stay integers; otherwise the two-place value, which prints exactly (2500.1).
    """
    return pence // 100 if pence % 100 == 0 else pence / 100


def gather(year_ids) -> ExportData:
    """The years (by partnership name) with their funded projects, checked against the ledger."""
    years = _years(year_ids)
    ids = [y.id for y in years]
    counts, spent, quarters = _spend_totals(ids)
    funded = (Proposal.select(Proposal.id).where(Proposal.year.in_(ids)
                                                 & Proposal.status.in_(FUNDED_STATUSES)))
    names = directory.names()  # people are shown by name, never by Slack id
    projects = _projects(ids, {y.id: y for y in years}, quarters, latest_progress(funded), names)
    _check_against_ledger(years, projects, spent)
    return ExportData(years, projects, counts, times.now(), names)


def _years(year_ids) -> list[YearRow]:
    query = (FinancialYear.select(FinancialYear, Partnership).join(Partnership)
             .where(FinancialYear.id.in_(list(year_ids)))
             .order_by(Partnership.name, FinancialYear.start_year))
    return [YearRow(y.id, y.partnership_id, y.partnership.name, y.label, y.start_year,
                    y.allocation_pence, y.upfront_pence, y.tactical_pence, y.split_rule,
                    year_figures(y))
            for y in query]


def _spend_totals(ids) -> tuple[dict[int, int], dict[int, int], dict[int, list[int]]]:
    """Spend lines per year, and net spend per year and per project and quarter, in one query."""
    rows = (LedgerEntry.select(Proposal.year, LedgerEntry.proposal, LedgerEntry.kind,
                               LedgerEntry.occurred_on, fn.COUNT(LedgerEntry.id),
                               fn.SUM(LedgerEntry.amount_pence))
            .join(Proposal)
            .where(Proposal.year.in_(ids) & LedgerEntry.kind.in_(SPEND_KINDS))
            .group_by(Proposal.year, LedgerEntry.proposal, LedgerEntry.kind,
                      LedgerEntry.occurred_on)
            .tuples().iterator())
    counts, spent = defaultdict(int), defaultdict(int)
    quarters = defaultdict(lambda: [0, 0, 0, 0])
    for year_id, proposal_id, kind, on, lines, total in rows:
        amount = -int(total) if kind == SPEND_REVERSAL else int(total)
        counts[year_id] += lines
        spent[year_id] += amount
        quarters[proposal_id][fiscal.quarter_of(on) - 1] += amount
    return dict(counts), spent, quarters


def _projects(ids, by_id, quarters, latest, names) -> list[ProjectRow]:
    rows = (Proposal.select(Proposal.id, Proposal.year, Proposal.number, Proposal.title,
                            Proposal.description, Proposal.lead_organisation,
                            Proposal.contact_name, Proposal.contact_slack_id, Proposal.pot,
                            Proposal.priorities,
                            Proposal.status, Proposal.amount_pence, Proposal.approved_pence,
                            Proposal.wg_decided_at, Proposal.pcc_decided_at,
                            Proposal.planned_start, Proposal.planned_end, Proposal.updated_at)
            .where(Proposal.year.in_(ids) & Proposal.status.in_(FUNDED_STATUSES))
            .order_by(Proposal.year, Proposal.number).tuples().iterator())
    order = {year_id: i for i, year_id in enumerate(by_id)}
    projects = []
    for (pid, year_id, number, title, description, lead, contact, contact_id, pot, priorities,
         status, amount, approved, wg_at, pcc_at, start, end, updated) in rows:
        year = by_id[year_id]
        if not contact:  # saved before Slack told us the contact's name
            contact = names.get(contact_id) or directory.NOT_KNOWN_YET
        projects.append(ProjectRow(
            pid, year_id, year.partnership, year.label, reference(year.label, number), title,
            description, lead, contact, pot, tuple(json.loads(priorities)), status, amount,
            approved or 0, wg_at, pcc_at, start, end, updated,
            tuple(quarters.get(pid, (0, 0, 0, 0))), latest.get(pid)))
    projects.sort(key=lambda p: order[p.year_id])  # stable: keeps the project numbers in order
    return projects


def _check_against_ledger(years: list[YearRow], projects: list[ProjectRow],
                          spent: dict[int, int]) -> None:
    """Refuse to export a sheet whose totals would not agree with the ledger.

    The sheet's totals are formulas over its project and spend rows, so this checks the rows
    add up to the ledger's commitments and spend, pot by pot, before anyone sees them.
    """
    approved = defaultdict(int)
    for p in projects:
        approved[(p.year_id, p.pot)] += p.approved_pence
    for y in years:
        for kind, pot in y.figures.pots.items():
            if approved[(y.id, kind)] != pot.committed:
                raise Conflict(f"The {kind} projects of {y.partnership} {y.label} add up to "
                               f"{format_pence(approved[(y.id, kind)])} but the ledger has "
                               f"{format_pence(pot.committed)} committed; nothing was exported.")
        if spent[y.id] != y.figures.spent:
            raise Conflict(f"The spend lines of {y.partnership} {y.label} add up to "
                           f"{format_pence(spent[y.id])} but the ledger has "
                           f"{format_pence(y.figures.spent)} spent; nothing was exported.")
