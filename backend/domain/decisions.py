"""Decisions on proposals: the working group's, the CSP chair's and the PCC's.

Each decision is a compare-and-set on the proposal's status under the year lock: a double
click, a Slack retry or a second chair deciding at the same moment finds the status already
moved and is told who decided it and when, instead of deciding twice. Money moves only on the
PCC's approval, a variation or a cancellation.
"""
from dataclasses import dataclass
from datetime import date

from backend.domain import audit, conditions, directory, ledger, proposals, texts, times
from backend.domain.actors import Actor
from backend.domain.audit import DENIED
from backend.domain.errors import Conflict, InvalidInput
from backend.domain.ledger import year_transaction
from backend.domain.money import format_pence
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.permissions import require
from backend.domain.pots import pot_states, spent_on
from backend.domain.proposals import ProposalView, denials, snapshot, tell_of_change, view
from backend.domain.rounds import after_final_decision
from backend.domain.workflow import DECISIONS, STATE_PHRASES, reference
from models import AuditRecord, FinancialYear, Proposal


@dataclass(frozen=True)
class Step:
    """One decision: where it may start from, where it leads and who may take it."""

    to: str
    sources: tuple[str, ...]
    roles: tuple[str, ...]
    doing: str
    pots: tuple[str, ...] = ("upfront", "tactical")
    needs_reason: str = ""  # the question to ask when a reason is required


WG_OPEN = ("submitted", "shortlisted", "deferred")
STEPS = {
    "shortlist": Step("shortlisted", ("submitted", "deferred"), ("chair",), "shortlist proposals",
                      pots=("upfront",)),
    "support": Step("supported", WG_OPEN, ("chair",), "record the working group's support"),
    "decline": Step("declined", WG_OPEN, ("chair",), "decline proposals",
                    needs_reason="Say why the working group declined it."),
    "defer": Step("deferred", ("submitted", "shortlisted"), ("chair",),
                  "defer proposals to a later meeting", pots=("upfront",)),
    "request_changes": Step("changes_requested", WG_OPEN, ("chair",), "ask for changes",
                            needs_reason="Say what the proposer should change."),
    "submit_to_opcc": Step("submitted_to_opcc", ("supported",), (),
                           "mark business cases as submitted to the OPCC"),
    "pcc_decline": Step("pcc_declined", ("submitted_to_opcc",), (), "record the PCC's decision",
                        needs_reason="Give the PCC's reason."),
}
APPROVE_SOURCES = ("submitted_to_opcc",)
DISPLAY_ORDER = ("shortlist", "support", "request_changes", "defer", "decline", "submit_to_opcc",
                 "approve", "pcc_decline", "vary", "cancel")


def next_steps(status: str, pot: str) -> list[str]:
    """The decisions that can be taken on a proposal now, in the order they are offered."""
    possible = {name for name, step in STEPS.items() if status in step.sources and pot in step.pots}
    if status in APPROVE_SOURCES:
        possible.add("approve")
    if status == "approved":
        possible |= {"vary", "cancel"}
    return [name for name in DISPLAY_ORDER if name in possible]


@dataclass(frozen=True)
class Outcome:
    proposal: ProposalView
    warnings: tuple[str, ...] = ()
    rolled_over_pence: int | None = None  # set when this decision opened the tactical pot
    released_pence: int = 0
    committed_pence: int = 0


# Who may take the decisions with money, and what they are called in a refusal.
MONEY_STEPS = {"approve": "record the PCC's decision", "vary": "vary an approved project",
               "cancel": "cancel an approved project"}


def _allowed(actor: Actor, year: FinancialYear, proposal: Proposal, action: str,
             expected_status: str | None) -> None:
    """The one rule of who may take `action` on the proposal now, and whether it still can be
    taken: asked before a decision's form opens (`may_decide`) and again when it is saved."""
    step = STEPS.get(action)
    if step is not None:
        require(actor, year.partnership_id, *step.roles, doing=step.doing)
        _check_source(proposal, year, action, step.sources, expected_status)
        if proposal.pot not in step.pots:
            raise Conflict(f"{_ref(year, proposal)} is a {proposal.pot} proposal; {step.doing} "
                           f"applies only to {' and '.join(step.pots)} proposals.")
        return
    if action not in MONEY_STEPS:
        raise InvalidInput(f"“{action}” is not a decision I know.")
    require(actor, year.partnership_id, doing=MONEY_STEPS[action])
    if action == "approve":
        _check_source(proposal, year, "approve", APPROVE_SOURCES, expected_status)
    else:
        _require_approved(year, proposal, DECISIONS[action].past)


@denials
def may_decide(actor: Actor, proposal_id: int, action: str,
               expected_status: str | None = None) -> ProposalView:
    """The proposal, if this person may take `action` on it now; refused (and the refusal
    recorded) before any form opens, so nobody fills one in for nothing."""
    proposal = proposals.load(proposal_id)
    _allowed(actor, proposal.year, proposal, action, expected_status)
    return view(proposal)


@denials
def decide(actor: Actor, proposal_id: int, action: str, *, reason: str = "",
           expected_status: str | None = None, on: date | None = None) -> Outcome:
    """Record a decision without money: shortlist, support, decline, defer, changes, OPCC steps."""
    step = STEPS.get(action)
    if step is None:
        raise InvalidInput(f"“{action}” is not a decision I know.")
    with year_transaction(_year_id(proposal_id)) as year:
        proposal = Proposal.get_by_id(proposal_id)
        _allowed(actor, year, proposal, action, expected_status)
        reason = texts.kept(reason, "reason", texts.LONG, "reason", one_line=False)
        if step.needs_reason and not reason:
            raise InvalidInput(step.needs_reason, field="reason")
        warnings = _support_warnings(year, proposal) if action == "support" else ()
        before = snapshot(proposal)
        proposal.status = step.to
        proposal.decision_note = reason or proposal.decision_note
        now = times.now()
        if step.roles == ("chair",):
            proposal.wg_decided_at = now
        if action == "submit_to_opcc":
            proposal.opcc_submitted_on = on or times.today_local()
        if action == "pcc_decline":
            proposal.pcc_decided_at = now
        proposal.updated_at = now
        proposal.save()
        audit.record(actor, f"proposal.{action}", "proposal", proposal.id,
                     partnership_id=year.partnership_id, before=before, after=snapshot(proposal))
        _tell_of_decision(actor, year, proposal, action, warnings)
        rolled = after_final_decision(year, proposal, actor)
    return Outcome(view(proposal), warnings, rolled)


@denials
def approve(actor: Actor, proposal_id: int, *, amount_pence: int | None = None,
            expected_status: str | None = None, reference_text: str = "") -> Outcome:
    """The PCC's approval: commits the approved amount (the request, or a different one)."""
    with year_transaction(_year_id(proposal_id)) as year:
        proposal = Proposal.get_by_id(proposal_id)
        _allowed(actor, year, proposal, "approve", expected_status)
        amount = proposal.amount_pence if amount_pence is None else amount_pence
        if amount <= 0:
            raise InvalidInput("The approved amount must be more than £0; record a decline "
                               "instead.", field="amount")
        before = snapshot(proposal)
        ledger.commit(year, proposal.pot, amount, actor, proposal,
                      memo=f"PCC approval of {_ref(year, proposal)}",
                      reference=texts.kept(reference_text, "reference", texts.REFERENCE,
                                           "OPCC reference"))
        proposal.status = "approved"
        proposal.approved_pence = amount
        proposal.pcc_decided_at = proposal.updated_at = times.now()
        proposal.save()
        audit.record(actor, "proposal.approve", "proposal", proposal.id,
                     partnership_id=year.partnership_id, before=before, after=snapshot(proposal))
        conditions.attach(actor, proposal)  # the partnership's usual grant conditions
        _tell_of_decision(actor, year, proposal, "approve")
        rolled = after_final_decision(year, proposal, actor)
    return Outcome(view(proposal), rolled_over_pence=rolled, committed_pence=amount)


@denials
def vary(actor: Actor, proposal_id: int, new_amount_pence: int, consent_reference: str) -> Outcome:
    """Change an approved project's amount with the OPCC's consent: a new commitment or a release."""
    consent = _consent(consent_reference)
    with year_transaction(_year_id(proposal_id)) as year:
        proposal = Proposal.get_by_id(proposal_id)
        _allowed(actor, year, proposal, "vary", None)
        spent = spent_on(proposal.id)
        if new_amount_pence < spent:
            raise InvalidInput(f"{format_pence(spent)} has already been spent on "
                               f"{_ref(year, proposal)}; the new amount cannot be less.",
                               field="amount")
        delta = new_amount_pence - proposal.approved_pence
        if delta == 0:
            raise InvalidInput(f"{_ref(year, proposal)} is already approved for "
                               f"{format_pence(new_amount_pence)}.", field="amount")
        before = snapshot(proposal)
        memo = f"variation of {_ref(year, proposal)}"
        if delta > 0:
            ledger.commit(year, proposal.pot, delta, actor, proposal, memo=memo, reference=consent)
        else:
            ledger.release(year, proposal.pot, -delta, actor, proposal, memo=memo, reference=consent)
        proposal.approved_pence = new_amount_pence
        proposal.updated_at = times.now()
        proposal.save()
        audit.record(actor, "proposal.vary", "proposal", proposal.id,
                     partnership_id=year.partnership_id, before=before,
                     after={**snapshot(proposal), "consent": consent})
        _tell_of_decision(actor, year, proposal, "vary")
    return Outcome(view(proposal), committed_pence=max(delta, 0), released_pence=max(-delta, 0))


@denials
def cancel(actor: Actor, proposal_id: int, consent_reference: str) -> Outcome:
    """Cancel an approved project with the OPCC's consent; what is unspent goes back to its pot."""
    consent = _consent(consent_reference)
    with year_transaction(_year_id(proposal_id)) as year:
        proposal = Proposal.get_by_id(proposal_id)
        _allowed(actor, year, proposal, "cancel", None)
        unspent = proposal.approved_pence - spent_on(proposal.id)
        before = snapshot(proposal)
        if unspent > 0:
            ledger.release(year, proposal.pot, unspent, actor, proposal,
                           memo=f"cancellation of {_ref(year, proposal)}", reference=consent)
        proposal.status = "cancelled"
        proposal.approved_pence -= unspent
        proposal.updated_at = times.now()
        proposal.save()
        audit.record(actor, "proposal.cancel", "proposal", proposal.id,
                     partnership_id=year.partnership_id, before=before,
                     after={**snapshot(proposal), "consent": consent})
        _tell_of_decision(actor, year, proposal, "cancel")
    return Outcome(view(proposal), released_pence=unspent)


def _tell_of_decision(actor: Actor, year: FinancialYear, proposal: Proposal, action: str,
                      warnings: tuple[str, ...] = ()) -> None:
    """Once a decision is written: its posts show it, its proposer hears of it and who took it,
    and whoever took it is warned of what it leaves behind (supported proposals that no longer
    all fit the pot)."""
    tell_of_change(proposal.id, year.partnership_id)
    notes.tell(Note(proposal.proposer_slack_id, "decision", "decision_told",
                    {"proposal": proposal.id, "action": action, "by": actor.id},
                    partnership_id=year.partnership_id))
    for warning in warnings:
        notes.tell_actor(actor, "warning", {"text": warning}, partnership_id=year.partnership_id,
                         purpose="warning")


def _support_warnings(year: FinancialYear, proposal: Proposal) -> tuple[str, ...]:
    state = pot_states(year)[proposal.pot]
    if state.earmarked + proposal.amount_pence > state.available:
        return (f"Supported proposals in the {proposal.pot} pot would now add up to "
                f"{format_pence(state.earmarked + proposal.amount_pence)}, more than the "
                f"{format_pence(state.available)} it holds: not all of them can be approved.",)
    return ()


def _check_source(proposal: Proposal, year: FinancialYear, action: str, sources: tuple[str, ...],
                  expected_status: str | None) -> None:
    """Refuse a decision the proposal has moved past, saying who moved it and when."""
    if proposal.status in sources and (expected_status is None or expected_status == proposal.status):
        return
    # Who last moved it: a refused attempt (recorded too) moved nothing, so it is never named.
    last = (AuditRecord.select().where((AuditRecord.entity == "proposal")
                                       & (AuditRecord.entity_id == proposal.id)
                                       & (AuditRecord.action != DENIED))
            .order_by(AuditRecord.at.desc(), AuditRecord.id.desc()).first())
    by = f" by {directory.describe_actor(last.actor)} on {times.show(last.at)}" if last else ""
    raise Conflict(f"{_ref(year, proposal)} is already {STATE_PHRASES[proposal.status]}"
                   f"{by}, so it cannot be {DECISIONS[action].past} now.")


def _require_approved(year: FinancialYear, proposal: Proposal, verb: str) -> None:
    if proposal.status != "approved":
        raise Conflict(f"Only an approved project can be {verb}; {_ref(year, proposal)} is "
                       f"{STATE_PHRASES[proposal.status]}.")


def _consent(text: str) -> str:
    consent = texts.kept(text, "consent", texts.NOTE, "OPCC's consent")
    if not consent:
        raise InvalidInput("Record the OPCC's consent (e.g. the email date or reference).",
                           field="consent")
    return consent


def _ref(year: FinancialYear, proposal: Proposal) -> str:
    return reference(year.label, proposal.number)


def _year_id(proposal_id: int) -> int:
    return proposals.load(proposal_id).year_id
