"""Moving money: the ledger entries, the year lock they are written under, and the rollover.

Every function here expects to run inside `year_transaction`, which locks the year's row for
the whole transaction (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite). All money
of a year moves under that one lock, so two processes approving against the same pot are
serialised and the second sees the first's commitment before it checks what is available.
"""
from contextlib import contextmanager
from datetime import date

from backend.domain import audit, closure, partnerships, times
from backend.domain.actors import Actor
from backend.domain.database import is_postgres, locked, write_transaction
from backend.domain.errors import InsufficientFunds, InvalidInput, NotFound, PotLocked
from backend.domain.money import format_pence
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.pots import pot_states
from backend.domain.prepared import Prepared, slot
from backend.domain.workflow import FINAL_STATUSES, reference
from models import FinancialYear, LedgerEntry, Partnership, Pot, Proposal

ALLOCATION = "allocation"
ROLLOVER_OUT = "rollover_out"
ROLLOVER_IN = "rollover_in"
COMMITMENT = "commitment"
RELEASE = "release"
SPEND = "spend"
SPEND_REVERSAL = "spend_reversal"


def year_query(*also):
    """The year (slot `year`) with its partnership and the `also` columns (each aliased; they
    become the year's attributes), for a hot path that needs more than the year."""
    return (FinancialYear.select(FinancialYear, Partnership, *also).join(Partnership)
            .where(FinancialYear.id == slot("year")))


_LOCKED_YEAR = Prepared(lambda: locked(year_query(), of=FinancialYear))
_LOCK = Prepared(lambda: locked(FinancialYear.select(FinancialYear.id)
                                .where(FinancialYear.id == slot("year")), of=FinancialYear))


@contextmanager
def year_transaction(year_id: int, read: Prepared | None = None, **slots):
    """One write transaction holding the year's lock; yields the freshly read year.

    With `read` (a prepared `year_query` with more columns, given their `slots`), what it reads
    is read once the lock is held: on PostgreSQL in a statement after the one that locks (sent
    with it, in one round trip), since a statement sees the database as it was when it began,
    and one that waited for the lock would read what a concurrent submission had not yet
    committed as still to come; SQLite's immediate transaction holds the lock before anything
    is read."""
    with write_transaction():
        if read is None:
            found = _LOCKED_YEAR.objects(year=year_id)
        elif is_postgres():
            found = read.objects_after(_LOCK, year=year_id, **slots)
        else:
            found = read.objects(year=year_id, **slots)
        if not found:
            raise NotFound("That financial year does not exist (the form may be out of date).")
        yield found[0]


def post(pot: Pot, kind: str, amount_pence: int, actor: Actor, *, proposal: Proposal | None = None,
         occurred_on: date | None = None, memo: str = "", reference: str = "",
         reverses: LedgerEntry | None = None) -> LedgerEntry:
    if not isinstance(amount_pence, int) or amount_pence <= 0:
        raise InvalidInput(f"A ledger entry must move a positive whole number of pence, not {amount_pence!r}.")
    closure.check_open(actor, pot.year_id, kind)  # a closed year takes only admins' reversals
    entry = LedgerEntry.create(pot=pot, kind=kind, amount_pence=amount_pence, proposal=proposal,
                               occurred_on=occurred_on, memo=memo, reference=reference,
                               reverses=reverses, actor=actor.audit_name, created_at=times.now())
    audit.record(actor, f"ledger.{kind}", "pot", pot.id, partnership_id=_partnership_id(pot),
                 after={"entry": entry.id, "amount": format_pence(amount_pence),
                        "proposal": proposal.id if proposal else None, "memo": memo,
                        "reference": reference})
    return entry


def _partnership_id(pot: Pot) -> int:
    return FinancialYear.get_by_id(pot.year_id).partnership_id


def pot_of(year: FinancialYear, kind: str) -> Pot:
    return Pot.get((Pot.year == year) & (Pot.kind == kind))


def commit(year: FinancialYear, kind: str, amount_pence: int, actor: Actor, proposal: Proposal,
           memo: str = "", reference: str = "") -> LedgerEntry:
    """Commit money to a project; refused, saying what is available, if the pot cannot cover it."""
    state = pot_states(year)[kind]
    if state.locked:
        raise PotLocked(tactical_locked_message(year))
    if amount_pence > state.available:
        raise InsufficientFunds(
            f"The {kind} pot has {format_pence(state.available)} available, so "
            f"{format_pence(amount_pence)} cannot be committed.", field="amount")
    return post(pot_of(year, kind), COMMITMENT, amount_pence, actor, proposal=proposal,
                memo=memo, reference=reference)


def release(year: FinancialYear, kind: str, amount_pence: int, actor: Actor, proposal: Proposal,
            memo: str = "", reference: str = "") -> None:
    """Give back committed money; after the rollover, upfront money goes on to the tactical pot."""
    post(pot_of(year, kind), RELEASE, amount_pence, actor, proposal=proposal, memo=memo,
         reference=reference)
    if kind == "upfront" and year.rolled_over_at is not None:
        _transfer_to_tactical(year, amount_pence, actor, f"released from {memo or 'a project'}")


def _transfer_to_tactical(year: FinancialYear, amount_pence: int, actor: Actor, memo: str) -> None:
    if amount_pence > 0:
        post(pot_of(year, "upfront"), ROLLOVER_OUT, amount_pence, actor, memo=memo)
        post(pot_of(year, "tactical"), ROLLOVER_IN, amount_pence, actor, memo=memo)


def roll_over(year: FinancialYear, actor: Actor) -> int:
    """Move the uncommitted upfront money into the tactical pot, once per year; returns the amount."""
    if year.rolled_over_at is not None:
        return 0
    amount = pot_states(year)["upfront"].available
    _transfer_to_tactical(year, amount, actor, "upfront round decided: uncommitted upfront money")
    year.rolled_over_at = times.now()
    year.save(only=[FinancialYear.rolled_over_at])
    audit.record(actor, "year.rollover", "year", year.id, partnership_id=year.partnership_id,
                 before={"tactical_open": False},
                 after={"tactical_open": True, "rolled_over": format_pence(amount)})
    channel = partnerships.working_group_channel(year.partnership_id)
    if channel:  # the working group hears the tactical pot is open, and with how much
        notes.tell(Note(channel, "round_closed", "round_closed",
                        {"year": year.id, "rolled": amount}, partnership_id=year.partnership_id))
    return amount


def tactical_locked_message(year: FinancialYear) -> str:
    """Why the tactical pot is still shut, and what it waits for: the upfront decisions still
    to come (by reference), the upfront cut-off while it is ahead, and the admin's way to open it
    by hand once nothing is left to decide."""
    pending = list(Proposal.select(Proposal.number)
                   .where((Proposal.year == year) & (Proposal.pot == "upfront")
                          & Proposal.status.not_in(FINAL_STATUSES))
                   .order_by(Proposal.number).tuples())
    cutoff = year.upfront_cutoff_at
    cutoff_ahead = cutoff is not None and times.now() < cutoff
    opens = (f"The tactical pot for {year.label} opens once every upfront proposal has a final "
             "decision from the PCC" + (f" and the upfront cut-off ({times.show(cutoff)}) has "
                                       "passed" if cutoff_ahead else "") + ".")
    if not pending:
        return (f"{opens} Every upfront proposal is decided, so an admin can open it now with "
                "`/crg close-upfront`.")
    refs = ", ".join(reference(year.label, number) for (number,) in pending[:8])
    more = f" and {len(pending) - 8} more" if len(pending) > 8 else ""
    count = len(pending)
    waiting = (f" {count} upfront proposal{'s are' if count != 1 else ' is'} still awaiting a "
               f"decision: {refs}{more}.")
    after = ("It opens by itself with the last of them" + (" once the cut-off has passed"
                                                           if cutoff_ahead else "")
             + ", or an admin can then open it with `/crg close-upfront`.")
    return f"{opens}{waiting} {after}"
