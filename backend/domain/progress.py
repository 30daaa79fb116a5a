"""Progress reports from funded projects: a narrative, the outputs so far and a RAG status.

A report is kept with its date and never edited; the next one supersedes it. Reports count
towards a project's progress obligation (the reminders ask for one per period), so the reminder
jobs read `has_report_for_period` / `reported_between` rather than the table.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from peewee import fn

from backend.domain import audit, fiscal, texts, times
from backend.domain.actors import Actor, is_lead, role_of
from backend.domain.errors import Conflict, FieldErrors, InvalidInput
from backend.domain.ledger import year_transaction
from backend.domain.outbox import notes
from backend.domain.permissions import refuse
from backend.domain.proposals import ProposalView, denials, load, tell_of_change, view
from backend.domain.workflow import reference
from models import FinancialYear, Proposal, database
from models.progress import ProgressReport

RAG_STATUSES = ("red", "amber", "green")
_RAG_ALIASES = {"r": "red", "a": "amber", "g": "green"}
MAX_NARRATIVE = 3000  # what a Slack multi-line input holds
MAX_OUTPUTS = 1000
MAX_PERIOD = 60


@dataclass(frozen=True, slots=True)
class ProgressView:
    id: int
    proposal_id: int
    reported_on: date
    period: str
    narrative: str
    outputs: str
    rag: str
    reporter: str
    created_at: datetime

    @property
    def summary(self) -> str:
        """One line for a list or a spreadsheet cell: "Green, 12 Sep 2024: outputs. narrative"."""
        said = "; ".join(part for part in (self.outputs, self.narrative) if part)
        return f"{self.rag.capitalize()}, {times.show_date(self.reported_on)}: {said}"


def parse_rag(text: str) -> str:
    cleaned = (text or "").strip().lower()
    rag = _RAG_ALIASES.get(cleaned, cleaned)
    if rag not in RAG_STATUSES:
        raise FieldErrors({"rag": f"“{(text or '').strip() or 'nothing'}” is not a RAG status: "
                                  "choose red, amber or green."})
    return rag


def default_period(on: date) -> str:
    """The financial quarter a day falls in, as reports are labelled by default: "2024/25 Q2"."""
    return f"{fiscal.label(fiscal.year_of(on))} Q{fiscal.quarter_of(on)}"


def _require_reporter(actor: Actor, proposal: Proposal, year: FinancialYear) -> None:
    """Its lead or an admin, on an approved project: asked as the form opens and as it is saved."""
    ref = reference(year.label, proposal.number)
    if not is_lead(actor, proposal) and role_of(actor, year.partnership_id) != "admin":
        refuse(actor, year.partnership_id,
               f"Only the project's lead (its proposer or named contact) or an admin can report "
               f"progress on {ref}.", f"tried to report progress on {ref}")
    if proposal.status != "approved":
        raise Conflict(f"{ref} is not an approved project, so there is no progress to report "
                       "on it.")


@denials
def may_report(actor: Actor, proposal_id: int) -> ProposalView:
    """The project, if this person may report progress on it now: refused before any typing."""
    proposal = load(proposal_id)
    _require_reporter(actor, proposal, proposal.year)
    return view(proposal)


@denials
def record(actor: Actor, proposal_id: int, *, narrative: str, rag: str, outputs: str = "",
           period: str = "", on: date | None = None) -> ProgressView:
    """Record a progress report on an approved project, by its lead or an admin."""
    proposal = load(proposal_id)
    with year_transaction(proposal.year_id) as year:
        proposal = load(proposal_id)
        # Again, inside the transaction: a role or the project can change while the form is open.
        _require_reporter(actor, proposal, year)
        values = _checked(narrative, rag, outputs, period, on or times.today_local(), year)
        report = ProgressReport.create(proposal=proposal, reporter=actor.audit_name,
                                       created_at=times.now(), **values)
        audit.record(actor, "progress.report", "proposal", proposal.id,
                     partnership_id=year.partnership_id,
                     after={"report": report.id, "rag": report.rag, "period": report.period,
                            "reported_on": report.reported_on, "outputs": report.outputs})
        notes.tell_actor(actor, "progress_saved", {"proposal": proposal.id, "report": report.id},
                         partnership_id=year.partnership_id)
        tell_of_change(proposal.id, year.partnership_id)
    return _view(report)


def _checked(narrative, rag, outputs, period, on: date, year) -> dict:
    """The report's columns, or every problem at once against its field."""
    errors, kept = {}, {}
    for name, value, limit, what, one_line in (
            ("narrative", narrative, MAX_NARRATIVE, "narrative", False),
            ("outputs", outputs, MAX_OUTPUTS, "outputs", False),
            ("period", period, MAX_PERIOD, "period", True)):
        try:
            kept[name] = texts.kept(value, name, limit, what, one_line=one_line)
        except InvalidInput as refusal:
            errors[name] = refusal.message
    narrative, outputs, period = (kept.get(n, "") for n in ("narrative", "outputs", "period"))
    if "narrative" in kept and not narrative:
        errors["narrative"] = "Say in a few words how the project is going."
    try:
        rag = parse_rag(rag)
    except FieldErrors as refusal:
        errors.update(refusal.errors)
    first = fiscal.first_day(year.start_year)
    if on > times.today_local():
        errors["reported_on"] = f"{times.show_date(on)} is in the future; report what has happened."
    elif on < first:
        errors["reported_on"] = (f"{times.show_date(on)} is before {year.label} began "
                                 f"({times.show_date(first)}).")
    if errors:
        raise FieldErrors(errors)
    if period.upper() in ("Q1", "Q2", "Q3", "Q4"):
        period = f"{year.label} {period.upper()}"
    return dict(narrative=narrative, outputs=outputs, rag=rag, reported_on=on,
                period=period or default_period(on))


def _view(r: ProgressReport) -> ProgressView:
    return ProgressView(r.id, r.proposal_id, r.reported_on, r.period, r.narrative, r.outputs,
                        r.rag, r.reporter, r.created_at)


def get(report_id: int) -> ProgressView:
    return _view(ProgressReport.get_by_id(report_id))


def reports_for(proposal_id: int) -> list[ProgressView]:
    """Every report of a project, newest first."""
    rows = (ProgressReport.select().where(ProgressReport.proposal == proposal_id)
            .order_by(ProgressReport.reported_on.desc(), ProgressReport.id.desc()))
    return [_view(r) for r in rows]


def latest_progress(proposal_ids, on: date | None = None) -> dict[int, ProgressView]:
    """The newest report of each project (dated by `on`, if given), in one query.

    `proposal_ids` is a list of ids or a query selecting them (the exports pass a subquery, so
    thousands of projects cost no more than one).
    """
    if isinstance(proposal_ids, Iterable) and not hasattr(proposal_ids, "sql"):
        proposal_ids = list(proposal_ids)
        if not proposal_ids:
            return {}
    return newest_views(database.execute(newest_reports(proposal_ids, on)))


def newest_reports(proposal_ids, on: date | None = None):
    """The query of each project's newest report (`proposal_ids` a list or a subquery), of
    those dated by `on` if given (a paper as at a date); a caller that asks often can prepare
    it once (`backend.domain.prepared`)."""
    rank = fn.ROW_NUMBER().over(partition_by=[ProgressReport.proposal],
                                order_by=[ProgressReport.reported_on.desc(),
                                          ProgressReport.id.desc()])
    which = ProgressReport.proposal.in_(proposal_ids)
    if on is not None:
        which &= ProgressReport.reported_on <= on
    ranked = (ProgressReport.select(ProgressReport.id, rank.alias("rank"))
              .where(which).alias("ranked"))
    newest_ids = ProgressReport.select(ranked.c.id).from_(ranked).where(ranked.c.rank == 1)
    fields = ProgressReport._meta.sorted_fields
    return ProgressReport.select(*fields).where(ProgressReport.id.in_(newest_ids)).tuples()


def newest_views(rows) -> dict[int, ProgressView]:
    """`newest_reports`' rows by project. The driver's rows as they come (peewee converting
    every value costs more than the query on a big year); only the two time columns need
    turning into dates, from SQLite's text."""
    return {row[1]: ProgressView(*row[:2], _as_date(row[2]), *row[3:8], _as_datetime(row[8]))
            for row in rows}


def _as_date(value) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _as_datetime(value) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def reported_between(proposal_ids, start: date, end: date) -> set[int]:
    """The projects among `proposal_ids` with a report dated from `start` to `end` inclusive."""
    rows = (ProgressReport.select(ProgressReport.proposal).distinct()
            .where(ProgressReport.proposal.in_(proposal_ids)
                   & ProgressReport.reported_on.between(start, end)).tuples())
    return {proposal_id for (proposal_id,) in rows}


def has_report_for_period(proposal_id: int, start: date, end: date) -> bool:
    """Whether the project has reported for the period from `start` to `end` (inclusive).

    This is what satisfies a period's progress obligation: any report dated inside it.
    """
    return bool(reported_between([proposal_id], start, end))
