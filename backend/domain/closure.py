"""Closing a financial year after its year-end return: from then on the ledger takes no more
money movements except reversals of spend, recorded by an admin with a reason.

The check sits where every ledger entry is written (`ledger.post`), so no path (a spend form, a
variation, an approval, the command line) can move a closed year's money; the spend form asks
first (`spend.may_record`) so nobody types a spend only to be refused.
"""
from dataclasses import dataclass
from datetime import datetime

from peewee import IntegrityError

from backend.domain import audit, fiscal, times
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict
from backend.domain.money import format_pence
from backend.domain.permissions import require
from models import FinancialYear, YearClosure, database

SPEND_REVERSAL = "spend_reversal"


@dataclass(frozen=True)
class Closed:
    year_id: int
    label: str
    closed_at: datetime
    closed_by: str
    underspend: int


def check_open(actor: Actor, year_id: int, kind: str) -> None:
    """Refuse a ledger entry in a closed year, unless it reverses spend and an admin makes it."""
    done = YearClosure.get_or_none(YearClosure.year == year_id)
    if done is None:
        return
    year = done.year
    if kind != SPEND_REVERSAL:
        raise Conflict(f"{year.label} was closed on {times.show(done.closed_at)} after its "
                       "year-end return, so its money cannot move any more; an admin can still "
                       "correct a spend line with a reversal and a reason.")
    require(actor, year.partnership_id, doing=f"correct spend in {year.label}, which is closed",
            attempted=f"tried to correct spend in the closed year {year.label}")


def close(actor: Actor, year: FinancialYear, underspend: int) -> Closed:
    """Close a year that has ended (admins): recorded with its underspend, audited."""
    require(actor, year.partnership_id, doing=f"close {year.label}")
    if times.today_local() <= fiscal.last_day(year.start_year):
        ends = times.show_date(fiscal.last_day(year.start_year))
        raise Conflict(f"{year.label} runs until {ends}; it can be closed after its year end.")
    with write_transaction():
        if YearClosure.get_or_none(YearClosure.year == year.id):
            raise Conflict(f"{year.label} is already closed.")
        try:
            with database.atomic():
                row = YearClosure.create(year=year.id, closed_at=times.now(),
                                         closed_by=actor.audit_name, underspend_pence=underspend)
        except IntegrityError:  # closed by someone else a moment ago
            raise Conflict(f"{year.label} is already closed.") from None
        audit.record(actor, "year.close", "year", year.id, partnership_id=year.partnership_id,
                     after={"year": year.label, "underspend": format_pence(underspend)})
    return Closed(year.id, year.label, row.closed_at, row.closed_by, underspend)
