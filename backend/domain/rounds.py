"""The upfront round: when it is decided, and opening the tactical pot once it is.

The tactical pot opens only once every upfront proposal has a final decision, and not before
the year's upfront cut-off (more proposals may still arrive); at that moment the uncommitted
upfront money rolls into it (`ledger.roll_over`, once per year, under the year lock). The last
decision triggers it (`after_final_decision`), an admin can close the round by hand, and the
clock closes rounds whose cut-off has passed with nothing left to decide.
"""
from backend.domain import ledger, times
from backend.domain.actors import Actor
from backend.domain.errors import Conflict
from backend.domain.ledger import year_transaction
from backend.domain.permissions import require
from backend.domain.workflow import FINAL_STATUSES, reference
from models import FinancialYear, Proposal


def close_upfront_round(actor: Actor, year_id: int) -> int:
    """Open the tactical pot by hand once every upfront proposal is decided (even if there were none)."""
    with year_transaction(year_id) as year:
        require(actor, year.partnership_id, doing="close the upfront round")
        if year.rolled_over_at is not None:
            raise Conflict(f"The upfront round for {year.label} is already closed; the tactical "
                           "pot is open.")
        pending = pending_upfront(year)
        if pending:
            refs = ", ".join(reference(year.label, p.number) for p in pending[:10])
            raise Conflict(f"These upfront proposals still need a final decision: {refs}.")
        return ledger.roll_over(year, actor)


def close_rounds_past_cutoff(actor: Actor, now=None) -> list[tuple[int, int]]:
    """Roll over every year whose upfront cut-off has passed with nothing left to decide.

    The last upfront decision may come before the cut-off (and so cannot close the round);
    the clock calls this so the tactical pot still opens once the cut-off is behind us.
    Returns (year id, amount rolled over) for each year it closed.
    """
    now = now or times.now()
    due = (FinancialYear.select(FinancialYear.id)
           .where(FinancialYear.rolled_over_at.is_null() & FinancialYear.upfront_cutoff_at.is_null(False)
                  & (FinancialYear.upfront_cutoff_at < now)))
    closed = []
    for candidate in due:
        with year_transaction(candidate.id) as year:
            if year.rolled_over_at is None and not pending_upfront(year):
                closed.append((year.id, ledger.roll_over(year, actor)))
    return closed


def after_final_decision(year: FinancialYear, proposal: Proposal, actor: Actor) -> int | None:
    """Roll the upfront money over when this decision was the last one the upfront round needed."""
    if (proposal.pot != "upfront" or proposal.status not in FINAL_STATUSES
            or year.rolled_over_at is not None or pending_upfront(year)):
        return None
    if year.upfront_cutoff_at is not None and times.now() < year.upfront_cutoff_at:
        return None  # more proposals may still arrive before the cut-off
    return ledger.roll_over(year, actor)


def pending_upfront(year: FinancialYear) -> list[Proposal]:
    return list(Proposal.select().where((Proposal.year == year) & (Proposal.pot == "upfront")
                                        & Proposal.status.not_in(FINAL_STATUSES))
                .order_by(Proposal.number))
