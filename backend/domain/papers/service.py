"""Asking for a paper: who may, which year and date, and how it reaches them.

Every front calls these: the command line writes the file, the finance page sends it as a
download, and Slack has it made and uploaded to the person's DM through the outbox once they
have their answer (`send`), so it is made from the ledger as it is sent.
"""
import re
from dataclasses import dataclass
from datetime import date

from backend.domain import fiscal, times
from backend.domain.actors import Actor
from backend.domain.exports.service import snapshot
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.papers import settings
from backend.domain.errors import InvalidInput
from backend.domain.papers import monitoring
from backend.domain.papers.access import may_take_every_return, may_take_paper, may_take_return
from backend.domain.papers.returns import write_monitoring
from backend.domain.papers.year_end import write_year_end
from backend.domain.papers.update import read
from backend.domain.papers.word import write_update
from backend.domain.years import find_year, ids_of_every_partnership
from models import FinancialYear

@dataclass(frozen=True)
class Request:
    """One paper asked for: of which year, as at which day (None: when it is made)."""

    kind: str
    year_id: int  # 0: every partnership's year starting in `start_year` (the OPCC's return)
    start_year: int
    title: str  # "Northshire CSP 2024/25"
    file_stem: str  # "crg-northshire-csp-2024-25-update"
    as_at: date | None = None
    period: str = ""
    meeting_on: date | None = None

    def payload(self) -> dict:
        return {"kind": self.kind, "year_id": self.year_id, "start_year": self.start_year,
                "title": self.title, "file_stem": self.file_stem,
                "as_at": self.as_at.isoformat() if self.as_at else None,
                "period": self.period,
                "meeting_on": self.meeting_on.isoformat() if self.meeting_on else None}

    @classmethod
    def from_payload(cls, p: dict) -> "Request":
        return cls(p["kind"], p["year_id"], p["start_year"], p["title"], p["file_stem"],
                   _day(p.get("as_at")), p.get("period", ""), _day(p.get("meeting_on")))


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "paper"


def ask_update(actor: Actor, partnership, year_label: str | None = None,
               as_at: date | None = None, meeting_on: date | None = None) -> Request:
    """The Working Group update of a partnership's year, if this person may have it."""
    year = find_year(partnership, year_label)
    may_take_paper(actor, year.partnership_id)
    return _request("update_paper", year, "update", as_at=as_at, meeting_on=meeting_on)


def ask_return(actor: Actor, partnership=None, year_label: str | None = None,
               period: str | None = None, *, kind: str = "monitoring_return",
               every: bool = False) -> Request:
    """A partnership's return (or, `every`, the OPCC's across partnerships) if this person may
    have it: the monitoring return of a period, or the year-end return."""
    suffix = "monitoring" if kind == "monitoring_return" else "year-end"
    if period and kind != "monitoring_return":
        raise InvalidInput("A period (mid-year or year-end) applies only to the monitoring "
                           "return; the year-end return covers the whole year.", field="period")
    if every:
        may_take_every_return(actor)
        start, _ = ids_of_every_partnership(year_label)
        title = f"All partnerships {fiscal.label(start)}"
        chosen = monitoring.parse_period(period, start) if kind == "monitoring_return" else ""
        return Request(kind, 0, start, title,
                       f"crg-{slug(title)}-{suffix}" + (f"-{chosen}" if chosen else ""),
                       period=chosen)
    year = find_year(partnership, year_label)
    may_take_return(actor, year.partnership_id)
    chosen = monitoring.parse_period(period, year.start_year) if kind == "monitoring_return" \
        else ""
    return _request(kind, year, suffix + (f"-{chosen}" if chosen else ""), period=chosen)


def _request(kind: str, year: FinancialYear, suffix: str, **more) -> Request:
    title = f"{year.partnership.name} {year.label}"
    return Request(kind, year.id, year.start_year, title, f"crg-{slug(title)}-{suffix}", **more)


def send(actor: Actor, request: Request) -> None:
    """Have the paper made and uploaded to the person's DM once they have their answer."""
    payload = {**request.payload(),
               "asked": times.to_local(times.now()).strftime("%-d %b %Y %H:%M:%S")}
    notes.tell(Note(actor.id, "paper", request.kind, payload, kind="upload"))


def write(request: Request, out) -> str:
    """The paper asked for, to a path or a binary file; its file name."""
    with snapshot():
        if request.kind == "update_paper":
            year = FinancialYear.get_by_id(request.year_id)
            paper = read(year, request.as_at or times.today_local(), request.meeting_on)
            write_update(paper, out, settings.template_of(year.partnership_id))
            return f"{request.file_stem}.docx"
        ids = [request.year_id] if request.year_id else [
            y for (y,) in FinancialYear.select(FinancialYear.id)
            .where(FinancialYear.start_year == request.start_year).tuples()]
        if request.kind == "monitoring_return":
            write_monitoring(monitoring.read(ids, request.period, request.title), out)
            return f"{request.file_stem}.xlsx"
        if request.kind == "year_end_return":
            write_year_end(ids, out, request.title)
            return f"{request.file_stem}.xlsx"
    raise ValueError(f"unknown paper: {request.kind}")


