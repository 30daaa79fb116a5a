"""What the pots hold, summed from the ledger (there is no stored balance to drift)."""
from dataclasses import dataclass

from peewee import Case, Value, fn

from backend.domain.prepared import Prepared, slot
from models import FinancialYear, LedgerEntry, Pot, Proposal

# How each kind of entry moves a pot's (allocated, committed, spent) figures.
EFFECTS = {
    "allocation": (1, 0, 0),
    "rollover_in": (1, 0, 0),
    "rollover_out": (-1, 0, 0),
    "commitment": (0, 1, 0),
    "release": (0, -1, 0),
    "spend": (0, 0, 1),
    "spend_reversal": (0, 0, -1),
}
EARMARKED_STATUSES = ("supported", "submitted_to_opcc")


@dataclass(frozen=True)
class PotState:
    kind: str
    allocated: int
    committed: int
    spent: int
    earmarked: int  # supported by the working group, not yet approved by the PCC
    locked: bool

    @property
    def available(self) -> int:
        """Uncommitted money: what a new commitment may take."""
        return self.allocated - self.committed

    @property
    def committed_unspent(self) -> int:
        return self.committed - self.spent

    @property
    def unearmarked(self) -> int:
        return self.available - self.earmarked


EARMARK = "earmark"  # in the sums below: what the year's earmarked proposals ask of each pot
_SUMS = Prepared(lambda: (
    LedgerEntry.select(Pot.kind, LedgerEntry.kind, fn.SUM(LedgerEntry.amount_pence))
    .join(Pot).where(Pot.year == slot("year")).group_by(Pot.kind, LedgerEntry.kind)
    .union_all(Proposal.select(Proposal.pot, Value(EARMARK), fn.SUM(Proposal.amount_pence))
               .where((Proposal.year == slot("year")) & Proposal.status.in_(EARMARKED_STATUSES))
               .group_by(Proposal.pot))))


def _sums(year_id: int) -> dict[tuple[str, str], int]:
    """{(pot kind, entry kind or EARMARK): total pence} for a year, in one aggregate query."""
    return {(pot_kind, kind): int(total) for pot_kind, kind, total in _SUMS.rows(year=year_id)}


def pot_states(year: FinancialYear, sums: dict | None = None) -> dict[str, PotState]:
    """Both pots of a year, from one aggregate query whatever the number of entries."""
    totals = {kind: [0, 0, 0] for kind in ("upfront", "tactical")}
    sums = _sums(year.id) if sums is None else sums
    for (pot_kind, entry_kind), total in sums.items():
        if entry_kind != EARMARK:
            for i, sign in enumerate(EFFECTS[entry_kind]):
                totals[pot_kind][i] += sign * total
    return {kind: PotState(kind, *figures, earmarked=sums.get((kind, EARMARK), 0),
                           locked=kind == "tactical" and year.rolled_over_at is None)
            for kind, figures in totals.items()}


# Each entry kind's effect on what a pot can still take: allocated less committed.
_AVAILABLE_SIGN = {kind: allocated - committed
                   for kind, (allocated, committed, _) in EFFECTS.items()}


def available_query():
    """`pot_states(year)[kind].available` as one small aggregate, for the slots `year` and `kind`:
    what a submission checks, so it can be read in the same round trip as the rest."""
    return (LedgerEntry.select(fn.COALESCE(fn.SUM(
        Case(LedgerEntry.kind, list(_AVAILABLE_SIGN.items()), 0) * LedgerEntry.amount_pence), 0))
        .join(Pot).where((Pot.year == slot("year")) & (Pot.kind == slot("kind"))))


_AVAILABLE = Prepared(available_query)


def available(year_id: int, kind: str) -> int:
    return int(_AVAILABLE.scalar(year=year_id, kind=kind))


@dataclass(frozen=True)
class YearFigures:
    """A year's pots and the year-end figures the OPCC asks for."""

    partnership: str
    label: str
    allocation: int
    upfront_share: int
    tactical_share: int
    rolled_over: int
    pots: dict[str, PotState]

    @property
    def uncommitted(self) -> int:
        return sum(p.available for p in self.pots.values())

    @property
    def committed(self) -> int:
        return sum(p.committed for p in self.pots.values())

    @property
    def spent(self) -> int:
        return sum(p.spent for p in self.pots.values())

    @property
    def committed_unspent(self) -> int:
        return sum(p.committed_unspent for p in self.pots.values())

    @property
    def underspend(self) -> int:
        """What goes back to the OPCC if nothing more is spent: uncommitted plus committed-unspent."""
        return self.allocation - self.spent


def year_figures(year: FinancialYear) -> YearFigures:
    sums = _sums(year.id)
    return YearFigures(year.partnership.name, year.label, year.allocation_pence,
                       year.upfront_pence, year.tactical_pence, sums.get(("tactical", "rollover_in"), 0),
                       pot_states(year, sums))


def spent_on(proposal_id: int) -> int:
    """Net spend recorded against one project (spend less reversing corrections)."""
    rows = (LedgerEntry.select(LedgerEntry.kind, fn.SUM(LedgerEntry.amount_pence))
            .where((LedgerEntry.proposal == proposal_id)
                   & LedgerEntry.kind.in_(("spend", "spend_reversal")))
            .group_by(LedgerEntry.kind).tuples())
    return sum(EFFECTS[kind][2] * int(total) for kind, total in rows)
