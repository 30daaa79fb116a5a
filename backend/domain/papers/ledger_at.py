"""The ledger as it stood at the end of a day: what each pot held and each project had.

A paper is written as at a date its author chooses; its figures must be the ledger's at that
moment, and agree with `/crg pots` and the spend sheet when the date is today. Money moved into
and out of pots counts once it was recorded (by the end of the day, local time); spend counts by
the day it was spent, as the forecast and the spend sheet count it. The pots' figures are worked
out by `pots.pot_states` from these sums, under the same rules as everywhere else.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from peewee import fn

from backend.domain import times
from backend.domain.ledger import SPEND, SPEND_REVERSAL
from backend.domain.pots import EFFECTS, PotState, pot_states
from models import FinancialYear, LedgerEntry, Pot

SPEND_KINDS = (SPEND, SPEND_REVERSAL)


@dataclass(frozen=True)
class LedgerAt:
    on: date
    pots: dict[str, PotState]
    committed: dict[int, int]  # per project: approved (committed less released)
    spent: dict[int, int]  # per project: spent by the day, less corrections


def end_of(on: date) -> datetime:
    """The end of a local day, as the naive UTC moment the database keeps."""
    return times.from_local(datetime.combine(on + timedelta(days=1), time()))


def ledger_at(year: FinancialYear, on: date) -> LedgerAt:
    """The year's pots and per-project commitments and spend at the end of `on`, in one query."""
    counted = ((LedgerEntry.kind.in_(SPEND_KINDS) & (LedgerEntry.occurred_on <= on))
               | (LedgerEntry.kind.not_in(SPEND_KINDS) & (LedgerEntry.created_at < end_of(on))))
    rows = (LedgerEntry.select(Pot.kind, LedgerEntry.kind, LedgerEntry.proposal,
                               fn.SUM(LedgerEntry.amount_pence))
            .join(Pot).where((Pot.year == year.id) & counted)
            .group_by(Pot.kind, LedgerEntry.kind, LedgerEntry.proposal).tuples())
    sums = defaultdict(int)
    committed, spent = defaultdict(int), defaultdict(int)
    for pot_kind, kind, proposal_id, total in rows:
        total = int(total)
        sums[(pot_kind, kind)] += total
        if proposal_id is not None:
            _, commits, spends = EFFECTS[kind]
            committed[proposal_id] += commits * total
            spent[proposal_id] += spends * total
    return LedgerAt(on, pot_states(year, dict(sums)), dict(committed), dict(spent))
