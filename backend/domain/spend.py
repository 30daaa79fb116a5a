"""Recording money spent on approved projects, and correcting it with reversing entries.

Finance staff and admins record spend; a partnership may also let each project's lead record
the spend of their own project (an option kept in its own table, off until an admin turns it on).
"""
from dataclasses import dataclass
from datetime import date

from peewee import fn

from backend.domain import audit, closure, conditions, fiscal, ledger, texts, times
from backend.domain.actors import ROLE_NAMES, Actor, is_lead, role_of
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, InvalidInput
from backend.domain.ledger import year_transaction
from backend.domain.money import format_pence
from backend.domain.outbox import notes
from backend.domain.permissions import refuse, require
from backend.domain.pots import spent_on
from backend.domain.proposals import ProposalView, denials, load, view
from backend.domain.workflow import reference
from models import Claim, FinancialYear, LedgerEntry, Proposal
from models.progress import PartnershipOption

CLAIMS_WAITING = ("pending", "queried")  # made, neither approved nor rejected yet


@dataclass(frozen=True)
class SpendLine:
    id: int
    proposal_id: int
    amount_pence: int
    spent_on: date
    quarter: int
    memo: str
    reference: str
    reversal_of: int | None


def require_spendable(proposal: Proposal, ref: str, doing: str) -> None:
    """Money may leave for this project: it is approved, and every condition to meet before
    release is met (or waived). Asked by direct spend and by a claim's approval alike."""
    if proposal.status not in ("approved", "cancelled") or not proposal.approved_pence:
        raise Conflict(f"{ref} is not an approved project, so no spend can be recorded "
                       "against it.")
    conditions.require_released(proposal.id, ref, doing)


def left_to_spend(proposal: Proposal, except_claim: int | None = None) -> int:
    """What is left of the approved amount once spent money and claims waiting for finance
    (other than `except_claim`, the one being approved) are taken off."""
    waiting = Claim.select(fn.COALESCE(fn.SUM(Claim.amount_pence), 0)).where(
        (Claim.proposal == proposal.id) & Claim.state.in_(CLAIMS_WAITING))
    if except_claim is not None:
        waiting = waiting.where(Claim.id != except_claim)
    return proposal.approved_pence - spent_on(proposal.id) - int(waiting.scalar() or 0)


@dataclass(frozen=True)
class SpendSoFar:
    """What a project was approved, has spent and has left: what the spend form shows."""

    approved: int
    spent: int

    @property
    def left(self) -> int:
        return self.approved - self.spent


def left_to_spend_of(proposal_id: int) -> int:
    return left_to_spend(load(proposal_id))


def so_far(proposal_id: int) -> SpendSoFar:
    proposal = load(proposal_id)
    return SpendSoFar(proposal.approved_pence or 0, spent_on(proposal_id))


def lines_for(proposal_id: int) -> list[SpendLine]:
    """A project's spend lines and their corrections, by the date spent (a correction's amount
    is what it takes off, shown against the line it corrects)."""
    entries = (LedgerEntry.select()
               .where((LedgerEntry.proposal == proposal_id)
                      & LedgerEntry.kind.in_((ledger.SPEND, ledger.SPEND_REVERSAL)))
               .order_by(LedgerEntry.occurred_on, LedgerEntry.id))
    return [_line(entry) for entry in entries]


@denials
def may_record(actor: Actor, proposal_id: int) -> ProposalView:
    """The project, if this person may record spend on it now: refused before any typing,
    including when its approved money is all spent (no amount could be accepted)."""
    proposal = load(proposal_id)
    ref = reference(proposal.year.label, proposal.number)
    _require_spender(actor, proposal.year, proposal, f"record spend on {ref}")
    require_spendable(proposal, ref, "record spend on it")  # as `post_spend` asks on saving
    closure.check_open(actor, proposal.year_id, ledger.SPEND)  # before any typing
    if left_to_spend(proposal) <= 0:
        raise Conflict(f"{ref} has spent all of its approved "
                       f"{format_pence(proposal.approved_pence)}, so there is nothing left to record against it. To spend more, an admin "
                       "records a variation first; to correct a line, use `/crg spend reverse "
                       "LINE REASON`.")
    return view(proposal)


@denials
def record(actor: Actor, proposal_id: int, amount_pence: int, on: date, memo: str,
           reference_text: str = "") -> SpendLine:
    """Spend against an approved project: inside its financial year and within what was approved."""
    memo = texts.kept(memo, "memo", texts.NOTE, "note of what it was for")
    reference_text = texts.kept(reference_text, "reference", texts.REFERENCE, "reference")
    if not memo:
        raise InvalidInput("Say what the money was spent on.", field="memo")
    with year_transaction(load(proposal_id).year_id) as year:
        proposal = load(proposal_id)
        # Again, inside the transaction: a role, the setting or the project can change meanwhile
        # (`post_spend` asks again whether the money may leave).
        ref = reference(year.label, proposal.number)
        _require_spender(actor, year, proposal, f"record spend on {ref}")
        entry = post_spend(actor, year, proposal, ref, amount_pence, on, memo, reference_text)
        notes.tell_actor(actor, "spend_recorded", {"line": entry.id},
                         partnership_id=year.partnership_id)
    return _line(entry)


def post_spend(actor: Actor, year: FinancialYear, proposal: Proposal, ref: str,
               amount_pence: int, on: date, memo: str, reference_text: str,
               claim_id: int | None = None) -> LedgerEntry:
    """Inside the year's transaction: the spend line, if the money may leave (inside the year,
    within what is left, every release condition met). `claim_id`: the claim it pays."""
    require_spendable(proposal, ref, "record spend on it" if claim_id is None
                      else "approve this claim")
    check_in_year(year, on)
    remaining = left_to_spend(proposal, claim_id)
    if amount_pence > remaining:
        raise InvalidInput(f"{ref} has {format_pence(remaining)} of its approved "
                           f"{format_pence(proposal.approved_pence)} left to spend (claims "
                           "waiting for finance count against it); record a variation first "
                           "to spend more.", field="amount")
    return ledger.post(ledger.pot_of(year, proposal.pot), ledger.SPEND, amount_pence, actor,
                       proposal=proposal, occurred_on=on, memo=memo, reference=reference_text)


def check_in_year(year: FinancialYear, on: date) -> None:
    """Money is spent, and claimed, only for a cost of the project's own financial year."""
    first, last = fiscal.first_day(year.start_year), fiscal.last_day(year.start_year)
    if not first <= on <= last:
        raise InvalidInput(f"{times.show_date(on)} is outside {year.label} "
                           f"({times.show_date(first)} to {times.show_date(last)}).",
                           field="date")


def get_line(entry_id: int) -> SpendLine:
    return _line(LedgerEntry.get_by_id(entry_id))


def reverse(actor: Actor, entry_id: int, reason: str) -> SpendLine:
    """Correct a spend line by a reversing entry; the original stays on the record."""
    reason = texts.kept(reason, "reason", texts.NOTE, "reason")
    if not reason:
        raise InvalidInput("Say why the spend is being corrected.", field="reason")
    original = LedgerEntry.get_or_none((LedgerEntry.id == entry_id)
                                       & (LedgerEntry.kind == ledger.SPEND))
    if original is None:
        raise InvalidInput(f"There is no spend line {entry_id}.")
    with year_transaction(original.pot.year_id) as year:
        _require_spender(actor, year, original.proposal, "correct spend")
        if LedgerEntry.select().where(LedgerEntry.reverses == original).exists():
            raise Conflict(f"Spend line {entry_id} has already been reversed.")
        entry = ledger.post(original.pot, ledger.SPEND_REVERSAL, original.amount_pence, actor,
                            proposal=original.proposal, occurred_on=original.occurred_on,
                            memo=reason, reference=original.reference, reverses=original)
    return _line(entry)


def _require_spender(actor: Actor, year: FinancialYear, proposal: Proposal, doing: str) -> None:
    """Finance staff or an admin; or the project's lead where the partnership allows it."""
    if not leads_may_record_spend(year.partnership_id):
        require(actor, year.partnership_id, "finance", doing=doing)
        return
    role = role_of(actor, year.partnership_id)
    if role not in ("admin", "finance") and not is_lead(actor, proposal):
        refuse(actor, year.partnership_id,
               f"Only {ROLE_NAMES['finance']}, {ROLE_NAMES['admin']} or the project's lead can "
               f"{doing}; you are {ROLE_NAMES[role]} in this partnership.", f"tried to {doing}")


def leads_may_record_spend(partnership_id: int) -> bool:
    option = PartnershipOption.get_or_none(PartnershipOption.partnership == partnership_id)
    return bool(option and option.leads_record_spend)


def allow_leads_to_record_spend(actor: Actor, partnership_id: int, allowed: bool) -> bool:
    """Let (or stop letting) each project's lead record and correct their own project's spend."""
    with write_transaction():
        require(actor, partnership_id, doing="choose who records spend")
        before = leads_may_record_spend(partnership_id)
        if before != allowed:
            updated = (PartnershipOption.update(leads_record_spend=allowed,
                                                updated_by=actor.audit_name,
                                                updated_at=times.now())
                       .where(PartnershipOption.partnership == partnership_id).execute())
            if not updated:
                PartnershipOption.create(partnership=partnership_id, leads_record_spend=allowed,
                                         updated_by=actor.audit_name, updated_at=times.now())
            audit.record(actor, "partnership.leads_record_spend", "partnership", partnership_id,
                         partnership_id=partnership_id, before={"leads_record_spend": before},
                         after={"leads_record_spend": allowed})
    return allowed


def _line(entry: LedgerEntry) -> SpendLine:
    return SpendLine(entry.id, entry.proposal_id, entry.amount_pence, entry.occurred_on,
                     fiscal.quarter_of(entry.occurred_on), entry.memo, entry.reference,
                     entry.reverses_id)
