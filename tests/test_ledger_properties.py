"""Random sequences of everything that moves money, checked against the ledger's invariants.

Whatever partners, chairs and the OPCC do, in whatever order: the pots always add up to the
allocation and nothing else, no pot is ever committed beyond what it holds, spend never passes
what was committed, and every ledger entry has its audit record. A refused step changes nothing.
"""
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.domain import decisions, proposals, rounds, spend
from backend.domain.errors import DomainError
from backend.domain.pots import available, year_figures
from models import AuditRecord, FinancialYear, LedgerEntry, Pot
from tests.builders import ADMIN, PROPOSER, draft, open_year

amounts = st.integers(min_value=1, max_value=900_000)
steps = st.one_of(
    st.tuples(st.just("submit"), amounts, st.sampled_from(["upfront", "tactical"])),
    st.tuples(st.just("decide"), st.integers(0, 20),
              st.sampled_from(sorted(decisions.STEPS))),
    st.tuples(st.just("approve"), st.integers(0, 20), st.one_of(st.none(), amounts)),
    st.tuples(st.just("vary"), st.integers(0, 20), amounts),
    st.tuples(st.just("cancel"), st.integers(0, 20), st.none()),
    st.tuples(st.just("spend"), st.integers(0, 20), amounts),
    st.tuples(st.just("reverse"), st.integers(0, 20), st.none()),
    st.tuples(st.just("withdraw"), st.integers(0, 20), st.none()),
    st.tuples(st.just("close"), st.none(), st.none()),
)


def _pounds(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def _apply(step, year_id, ids):
    kind, a, b = step
    pick = (lambda: ids[a % len(ids)]) if ids else None
    if kind == "submit":
        view, _ = proposals.submit(PROPOSER, year_id, draft(_pounds(a), pot=b))
        ids.append(view.id)
    elif kind == "close":
        rounds.close_upfront_round(ADMIN, year_id)
    elif pick is None:
        return
    elif kind == "decide":
        decisions.decide(ADMIN, pick(), b, reason="because")
    elif kind == "approve":
        decisions.approve(ADMIN, pick(), amount_pence=b)
    elif kind == "vary":
        decisions.vary(ADMIN, pick(), b, "OPCC consent")
    elif kind == "cancel":
        decisions.cancel(ADMIN, pick(), "OPCC consent")
    elif kind == "spend":
        spend.record(ADMIN, pick(), b, date(2024, 10, 1), "delivery")
    elif kind == "reverse":
        lines = [e.id for e in LedgerEntry.select().join(Pot).where(
            (Pot.year == year_id) & (LedgerEntry.kind == "spend"))]
        if lines:
            spend.reverse(ADMIN, lines[a % len(lines)], "correction")
        else:
            return
    elif kind == "withdraw":
        proposals.withdraw(PROPOSER, pick())


def _trace():
    return AuditRecord.select().count(), LedgerEntry.select().count()


def _check_invariants(year_id: int, allocation: int) -> None:
    f = year_figures(FinancialYear.get_by_id(year_id))
    assert sum(p.allocated for p in f.pots.values()) == allocation
    for kind, pot in f.pots.items():
        assert pot.available >= 0, pot
        assert 0 <= pot.spent <= pot.committed, pot
        assert available(year_id, kind) == pot.available  # the submission's shortcut agrees
    ledger_rows = LedgerEntry.select().count()
    audited = AuditRecord.select().where(AuditRecord.action.startswith("ledger.")).count()
    assert ledger_rows == audited


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(allocation=st.integers(min_value=100, max_value=5_000_000),
       plan=st.lists(steps, min_size=1, max_size=30))
def test_random_histories_keep_the_ledger_sound(db, allocation, plan):
    year = open_year(allocation)
    ids: list[int] = []
    for step in plan:
        before = _trace()
        try:
            _apply(step, year.id, ids)
        except DomainError:
            assert _trace() == before  # a refusal changes nothing, not even the audit trail
        _check_invariants(year.id, allocation)
