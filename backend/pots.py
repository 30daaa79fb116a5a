"""What the pots hold, summed from the ledger (there is no stored balance to drift)."""
from dataclasses import dataclass

from peewee import fn

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


def _ledger_totals(year_id: int) -> dict[tuple[str, str], int]:
    """{(pot kind, entry kind): total pence} for a year, in one aggregate query."""
    rows = (LedgerEntry.select(Pot.kind, LedgerEntry.kind.alias("entry_kind"),
                               fn.SUM(LedgerEntry.amount_pence).alias("total"))
            .join(Pot).where(Pot.year == year_id)
            .group_by(Pot.kind, LedgerEntry.kind).tuples())
    return {(pot_kind, entry_kind): int(total) for pot_kind, entry_kind, total in rows}


def pot_states(year: FinancialYear, ledger_totals: dict | None = None) -> dict[str, PotState]:
    """Both pots of a year, in two aggregate queries whatever the number of entries."""
    totals = {kind: [0, 0, 0] for kind in ("upfront", "tactical")}
    sums = _ledger_totals(year.id) if ledger_totals is None else ledger_totals
    for (pot_kind, entry_kind), total in sums.items():
        for i, sign in enumerate(EFFECTS[entry_kind]):
            totals[pot_kind][i] += sign * total
    earmarks = dict((Proposal.select(Proposal.pot, fn.SUM(Proposal.amount_pence))
                     .where((Proposal.year == year.id) & Proposal.status.in_(EARMARKED_STATUSES))
                     .group_by(Proposal.pot).tuples()))
    return {kind: PotState(kind, *figures, earmarked=int(earmarks.get(kind) or 0),
                           locked=kind == "tactical" and year.rolled_over_at is None)
            for kind, figures in totals.items()}


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
    sums = _ledger_totals(year.id)
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
