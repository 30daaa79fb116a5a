"""A project's profile: its planned spend in each quarter, always adding up to its approved amount.

Where it comes from, in order:
1. the newest re-profile an admin recorded (`reprofile`; the older ones stay as its history);
2. else the proposal's planned spend by quarter;
3. else, when the proposal planned nothing by quarter, an even profile *assumed* over its
   planned dates (or, without them, from its approval to the end of the year), by day: each
   quarter gets the share of the approved amount that its days of the period make up.
If the amounts of 1 or 2 do not add up to the approved amount (the PCC approved a different sum,
or it was varied later), they are scaled to it, and the profile says so.

Sharing pence between quarters (scaling, or spreading evenly) uses the largest remainder:
each quarter gets its exact share rounded down, and the pence left over go one each to the
quarters with the largest fractions cut off (the earlier quarter first on a tie), so the four
amounts are whole pence and add up to the approved amount exactly.
"""
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from math import floor
from typing import NamedTuple

from backend.domain import audit, fiscal, texts, times
from backend.domain.actors import Actor
from backend.domain.errors import Conflict, FieldErrors, InvalidInput
from backend.domain.forecast.rule import QUARTERS, quarter_bounds
from backend.domain.ledger import year_transaction
from backend.domain.money import format_pence
from backend.domain.permissions import require
from backend.domain.proposals import ProposalView, denials, load, view
from backend.domain.workflow import reference
from models import SpendProfile

PROPOSAL, SCALED, REPROFILED, ASSUMED = "proposal", "scaled", "reprofiled", "assumed"
MAX_REASON = texts.NOTE
FROM_PROPOSAL = "From the proposal's planned spend by quarter"


class Profile(NamedTuple):
    """Planned spend by quarter (Q1..Q4, pence), where it came from, and that in plain words."""

    quarters: tuple[int, int, int, int]
    source: str  # PROPOSAL, SCALED, REPROFILED or ASSUMED
    note: str

    @property
    def total(self) -> int:
        return sum(self.quarters)

    @property
    def assumed(self) -> bool:
        return self.source == ASSUMED


@dataclass(frozen=True)
class Reprofile:
    """One re-profile as recorded: what the admin set, why, who and when."""

    quarters: tuple[int, int, int, int]
    reason: str
    set_by: str
    set_at: datetime


def apportion(total: int, weights) -> tuple[int, ...]:
    """`total` pence shared in proportion to `weights` by the largest remainder (see above)."""
    weights = [Fraction(w) for w in weights]
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("nothing to share in proportion to")
    exact = [total * w / whole for w in weights]
    shares = [floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:total - sum(shares)]:
        shares[i] += 1
    return tuple(shares)


def assumed_period(start_year: int, planned_start: date | None, planned_end: date | None,
                   approved_on: date | None) -> tuple[date, date]:
    """The days an assumed profile is spread over: the planned dates, or from the approval to the
    year end; kept inside the financial year."""
    first, last = fiscal.first_day(start_year), fiscal.last_day(start_year)
    start = planned_start or approved_on or first
    end = planned_end or last
    start, end = min(max(start, first), last), min(max(end, first), last)
    return (start, end) if start <= end else (start, start)


def even(total: int, start_year: int, start: date, end: date) -> tuple[int, int, int, int]:
    """`total` spread evenly by day over `start`..`end` (inclusive), quarter by quarter."""
    days = []
    for quarter in QUARTERS:
        first, last = quarter_bounds(start_year, quarter)
        overlap = (min(last, end) - max(first, start)).days + 1
        days.append(max(overlap, 0))
    return apportion(total, days)


def _scaled_to(quarters: tuple[int, ...], approved: int) -> tuple[int, int, int, int]:
    return apportion(approved, quarters)


def profile_for(*, approved: int, start_year: int, planned_spend: dict[str, int],
                planned_start: date | None, planned_end: date | None,
                approved_on: date | None, latest: Reprofile | None = None) -> Profile:
    """The profile in force for a project described by plain values (see the module's rules)."""
    if latest is not None:
        base, source = latest.quarters, REPROFILED
        on = times.show_date(times.to_local(latest.set_at).date())
        said = f"Re-profiled by {latest.set_by} on {on}: {latest.reason}"
    else:
        base = (planned_spend.get("Q1", 0), planned_spend.get("Q2", 0),
                planned_spend.get("Q3", 0), planned_spend.get("Q4", 0))
        source, said = PROPOSAL, FROM_PROPOSAL
    total = sum(base)
    if total == approved and total > 0:
        return Profile(base, source, said)
    if total <= 0:
        start, end = assumed_period(start_year, planned_start, planned_end, approved_on)
        return Profile(even(approved, start_year, start, end), ASSUMED,
                       f"Assumed: no planned spend by quarter was given, so the approved "
                       f"{format_pence(approved)} is spread evenly over "
                       f"{times.show_date(start)} to {times.show_date(end)}")
    return Profile(_scaled_to(base, approved), SCALED if source == PROPOSAL else source,
                   f"{said}, scaled from {format_pence(total)} to the approved "
                   f"{format_pence(approved)}")


# --------------------------------------------------------------------------- re-profiling


def _latest_reprofile(proposal_id: int) -> Reprofile | None:
    row = (SpendProfile.select().where(SpendProfile.proposal == proposal_id)
           .order_by(SpendProfile.set_at.desc(), SpendProfile.id.desc()).first())
    return _reprofile(row) if row else None


def _reprofile(row: SpendProfile) -> Reprofile:
    return Reprofile((row.q1_pence, row.q2_pence, row.q3_pence, row.q4_pence), row.reason,
                     row.set_by, row.set_at)


def history(proposal_id: int) -> list[Reprofile]:
    """Every re-profile of a project, oldest first (the last is in force)."""
    rows = (SpendProfile.select().where(SpendProfile.proposal == proposal_id)
            .order_by(SpendProfile.set_at, SpendProfile.id))
    return [_reprofile(r) for r in rows]


def approved_on(p) -> date | None:
    return times.to_local(p.pcc_decided_at).date() if p.pcc_decided_at else None


def profile_of(p: ProposalView) -> Profile:
    """The profile in force for one project."""
    return profile_for(approved=p.approved_pence or 0, start_year=fiscal.parse_year(p.year_label),
                       planned_spend=p.planned_spend, planned_start=p.planned_start,
                       planned_end=p.planned_end, approved_on=approved_on(p),
                       latest=_latest_reprofile(p.id))


def _require_reprofiler(actor: Actor, proposal) -> str:
    year = proposal.year
    ref = reference(year.label, proposal.number)
    require(actor, year.partnership_id, doing=f"re-profile {ref}")
    if proposal.status != "approved" or not proposal.approved_pence:
        raise Conflict(f"{ref} is not an approved project, so it has no profile to change.")
    return ref


@denials
def may_reprofile(actor: Actor, proposal_id: int) -> ProposalView:
    """The project, if this person may re-profile it now (admins, on an approved project)."""
    proposal = load(proposal_id)
    _require_reprofiler(actor, proposal)
    return view(proposal)


@denials
def reprofile(actor: Actor, proposal_id: int, quarters, reason: str) -> Profile:
    """Record a new profile (four amounts adding up to the approved amount) with its reason.

    The proposal's planned spend and every earlier re-profile stay on the record; the audit
    trail has the profile before and after.
    """
    quarters = tuple(int(q) for q in quarters)
    with year_transaction(load(proposal_id).year_id):
        proposal = load(proposal_id)
        ref = _require_reprofiler(actor, proposal)
        errors = {}
        try:
            reason = texts.kept(reason, "reason", MAX_REASON, "reason")
        except InvalidInput as refusal:
            errors["reason"], reason = refusal.message, None
        if len(quarters) != 4 or any(q < 0 for q in quarters):
            errors["quarters"] = "Give four amounts, one for each quarter, none below £0."
        elif sum(quarters) != proposal.approved_pence:
            errors["quarters"] = (f"The four quarters add up to {format_pence(sum(quarters))}, but "
                                  f"{ref} is approved for {format_pence(proposal.approved_pence)}; "
                                  "a profile must add up to the approved amount.")
        if reason == "":
            errors["reason"] = "Say why the profile changes (e.g. the OPCC agreed a later start)."
        if errors:
            raise FieldErrors(errors)
        before = profile_of(view(proposal))
        SpendProfile.create(proposal=proposal, q1_pence=quarters[0], q2_pence=quarters[1],
                            q3_pence=quarters[2], q4_pence=quarters[3], reason=reason,
                            set_by=actor.audit_name, set_at=times.now())
        after = profile_of(view(proposal))
        audit.record(actor, "proposal.reprofile", "proposal", proposal.id,
                     partnership_id=proposal.year.partnership_id,
                     before={"profile": _shown(before.quarters), "source": before.source},
                     after={"profile": _shown(after.quarters), "reason": reason})
    return after


def _shown(quarters) -> dict[str, str]:
    return {f"Q{q}": format_pence(amount) for q, amount in zip(QUARTERS, quarters)}
