"""Progress reports with structured measures beside the narrative, and the reason spend is
behind its planned profile.

A partnership chooses which numbers its reports count (`settings.set_measures`: sessions
delivered, people reached or trained, volunteers recruited, items issued, and its own); the
OPCC's monitoring return lists them per project. When a project's spend is more than the
partnership's set percentage behind its planned profile at the report's date (the forecast's
profile, `forecast.figures`), the report must say why: the return carries that explanation
beside the variance. Reports made before measures existed, or without any, keep working: they
simply have no row here.
"""
import json
from dataclasses import dataclass
from datetime import date

from backend.domain import audit, texts, times
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.errors import FieldErrors, InvalidInput
from backend.domain.forecast.figures import year_forecasts
from backend.domain.money import format_pence
from backend.domain.papers import settings
from backend.domain.progress import ProgressView, may_report, record
from backend.domain.proposals import load
from models import ReportMeasures

MAX_MEASURE = 10_000_000


@dataclass(frozen=True)
class Measured:
    values: dict[str, int]
    explanation: str


def field_of(index: int) -> str:
    """The form field of the partnership's n-th measure."""
    return f"measure_{index}"


def behind_by(proposal, on: date) -> tuple[int, int, bool]:
    """(planned to date, spent to date, whether the explanation is required) at `on`."""
    percent = settings.choices(proposal.year.partnership_id).explain_behind_percent
    if percent is None:
        return 0, 0, False
    year = year_forecasts([proposal.year_id], on)[0]
    project = next((p for p in year.projects if p.id == proposal.id), None)
    if project is None or project.planned <= 0:
        return 0, 0, False
    shortfall = project.planned - project.spent
    return project.planned, project.spent, shortfall * 100 > percent * project.planned


def _checked(partnership_id: int, measures: dict | None, explanation: str,
             needs_reason: bool, planned: int, spent: int) -> Measured:
    chosen = settings.choices(partnership_id).measures
    errors, values = {}, {}
    for name, raw in (measures or {}).items():
        text = str(raw if raw is not None else "").strip().replace(",", "")
        if not text:
            continue
        where = field_of(chosen.index(name)) if name in chosen else "measures"
        if name not in chosen:
            errors[where] = (f"“{name}” is not one of the partnership's measures "
                             f"({', '.join(chosen) or 'none chosen yet'}).")
        elif not text.isascii() or not text.isdigit() or int(text) > MAX_MEASURE:
            errors[where] = f"Give the {name} as a whole number, like 12."
        else:
            values[name] = int(text)
    try:
        explanation = texts.kept(explanation, "explanation", texts.LONG,
                                 "explanation of the variance", one_line=False)
    except InvalidInput as refusal:
        errors["explanation"], explanation = refusal.message, ""
    if needs_reason and not explanation and "explanation" not in errors:
        errors["explanation"] = (
            f"Spend is behind its planned profile ({format_pence(spent)} spent of "
            f"{format_pence(planned)} planned to date): say why, for the OPCC's return.")
    if errors:
        raise FieldErrors(errors)
    return Measured(values, explanation)


def report(actor: Actor, proposal_id: int, *, narrative: str, rag: str, outputs: str = "",
           period: str = "", on: date | None = None, measures: dict | None = None,
           explanation: str = "") -> ProgressView:
    """A progress report with its measures and, where spend is behind, why; one transaction."""
    may_report(actor, proposal_id)  # who may, before anything about the figures is said
    proposal = load(proposal_id)
    day = on or times.today_local()
    planned, spent, needs_reason = behind_by(proposal, day)
    measured = _checked(proposal.year.partnership_id, measures, explanation, needs_reason,
                        planned, spent)
    with write_transaction():
        view = record(actor, proposal_id, narrative=narrative, rag=rag, outputs=outputs,
                      period=period, on=on)
        if measured.values or measured.explanation:
            ReportMeasures.create(report=view.id, values=json.dumps(measured.values),
                                  explanation=measured.explanation)
            audit.record(actor, "progress.measures", "proposal", proposal_id,
                         partnership_id=proposal.year.partnership_id,
                         after={"report": view.id, **measured.values,
                                "explanation": measured.explanation})
    return view


def of_reports(report_ids) -> dict[int, Measured]:
    """The measures of each report that has them, in one query."""
    ids = list(report_ids)
    if not ids:
        return {}
    return {row.report_id: Measured(json.loads(row.values), row.explanation)
            for row in ReportMeasures.select().where(ReportMeasures.report.in_(ids))}
