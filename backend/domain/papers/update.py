"""The Working Group update paper's content as plain values, read from the ledger as at a date.

Everything the paper says is here, worked out once: the grant and its split, the upfront round
(when the Working Group met, how many proposals it reviewed, what the PCC approved), the
tactical pot, what is left in each pot, and every funded project with its latest progress. The
writer (`word`) only lays these values out, so every figure in the document is one of these.
"""
from dataclasses import dataclass
from datetime import date

from backend.domain import times
from backend.domain.money import format_pence
from backend.domain.papers import settings
from backend.domain.papers.ledger_at import LedgerAt, end_of, ledger_at
from backend.domain.pots import PotState
from backend.domain.progress import ProgressView, latest_progress
from backend.domain.workflow import reference
from models import FinancialYear, Meeting, Proposal

NO_PROGRESS = "No progress reported yet."


@dataclass(frozen=True)
class PaperProject:
    id: int
    ref: str
    title: str
    lead_organisation: str
    description: str
    pot: str
    status: str
    approved: int
    spent: int
    latest: ProgressView | None

    @property
    def rag(self) -> str:
        return self.latest.rag.capitalize() if self.latest else "Not reported"

    @property
    def latest_on(self) -> date | None:
        return self.latest.reported_on if self.latest else None

    @property
    def latest_said(self) -> str:
        """Its latest progress report, or the gap said plainly so it is seen before the meeting."""
        if not self.latest:
            return NO_PROGRESS
        said = " ".join(_sentence(t) for t in (self.latest.outputs, self.latest.narrative) if t)
        return f"Progress at {long_date(self.latest.reported_on)}: {said}"

    @property
    def what_it_does(self) -> str:
        """What a tactical project does, and its latest progress once it has reported."""
        does = _sentence(self.description) if self.description else ""
        return " ".join(t for t in (does, self.latest_said if self.latest else "") if t) \
            or NO_PROGRESS


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?" else f"{text}."


@dataclass(frozen=True)
class UpdatePaper:
    partnership_id: int
    partnership: str
    year_id: int
    year_label: str
    start_year: int
    as_at: date
    meeting_on: date | None
    chair: str
    deputy_chair: str
    classification: str
    allocation: int
    upfront_share: int
    tactical_share: int
    rolled_over: bool  # the upfront round was decided by the date
    wg_met_on: date | None
    reviewed: int  # upfront proposals the Working Group reviewed
    pots: dict[str, PotState]
    projects: tuple[PaperProject, ...]  # upfront first, then tactical, by reference

    @property
    def upfront(self) -> tuple[PaperProject, ...]:
        return tuple(p for p in self.projects if p.pot == "upfront")

    @property
    def tactical(self) -> tuple[PaperProject, ...]:
        return tuple(p for p in self.projects if p.pot == "tactical")

    @property
    def committed(self) -> int:
        return sum(p.committed for p in self.pots.values())

    @property
    def spent(self) -> int:
        return sum(p.spent for p in self.projects)

    @property
    def subject(self) -> str:
        return f"Crime Reduction Grant {self.year_label}: update from the Working Group"

    @property
    def summary(self) -> str:
        return (f"The PCC allocated {money(self.allocation)} for {self.year_label}; "
                f"{money(self.committed)} is approved for {len(self.projects)} "
                f"project{'s' if len(self.projects) != 1 else ''} and {money(self.spent)} "
                f"spent as at {long_date(self.as_at)}.")


def money(pence: int) -> str:
    """As the papers write money: £6,000, and pence only where there are pence (£4,578.50)."""
    return format_pence(pence)


def long_date(on: date | None) -> str:
    return on.strftime("%-d %B %Y") if on else ""


def read(year: FinancialYear, as_at: date, meeting_on: date | None = None) -> UpdatePaper:
    chosen = settings.choices(year.partnership_id)
    ledger = ledger_at(year, as_at)
    cutoff = end_of(as_at)
    upfront_rows = list(Proposal.select(Proposal.wg_decided_at)
                        .where((Proposal.year == year.id) & (Proposal.pot == "upfront")
                               & Proposal.wg_decided_at.is_null(False)
                               & (Proposal.wg_decided_at < cutoff)).tuples())
    met = (Meeting.select(Meeting.held_at)
           .where((Meeting.year == year.id) & (Meeting.status == "scheduled")
                  & (Meeting.held_at < cutoff)).order_by(Meeting.held_at).first())
    moments = [met.held_at] if met else sorted(at for (at,) in upfront_rows)
    return UpdatePaper(
        year.partnership_id, year.partnership.name, year.id, year.label, year.start_year, as_at,
        meeting_on, chosen.chair, chosen.deputy_chair, chosen.classification,
        year.allocation_pence, year.upfront_pence, year.tactical_pence,
        year.rolled_over_at is not None and year.rolled_over_at < cutoff,
        times.to_local(moments[0]).date() if moments else None, len(upfront_rows),
        ledger.pots, _projects(year, ledger))


def _projects(year: FinancialYear, ledger: LedgerAt) -> tuple[PaperProject, ...]:
    """The projects the PCC had funded by the date: those with money committed to them then
    (a cancelled project keeps what it spent)."""
    funded = [pid for pid, amount in ledger.committed.items() if amount > 0]
    if not funded:
        return ()
    latest = latest_progress(funded, ledger.on)
    rows = (Proposal.select(Proposal.id, Proposal.number, Proposal.title,
                            Proposal.lead_organisation, Proposal.description, Proposal.pot,
                            Proposal.status)
            .where(Proposal.id.in_(funded)).order_by(Proposal.number).tuples())
    projects = [PaperProject(pid, reference(year.label, number), title, lead, description, pot,
                             status, ledger.committed[pid], ledger.spent.get(pid, 0),
                             latest.get(pid))
                for pid, number, title, lead, description, pot, status in rows]
    return tuple(sorted(projects, key=lambda p: (p.pot != "upfront", p.ref)))
