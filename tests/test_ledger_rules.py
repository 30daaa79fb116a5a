"""The money rules of the Crime Reduction Grant, on both databases."""
import json
from datetime import date, datetime

import pytest

from backend.domain import decisions, partnerships, proposals, rounds, spend, years
from backend.domain.errors import Conflict, FieldErrors, InsufficientFunds, InvalidInput, PotLocked
from backend.domain.ledger import year_transaction
from backend.domain.pots import pot_states, year_figures
from models import AuditRecord, FinancialYear, LedgerEntry
from tests.builders import ADMIN, approved, open_year, submit, to_opcc


def figures(year):
    return year_figures(FinancialYear.get_by_id(year.id))


def test_opening_a_year_splits_and_funds_the_pots(db):
    year = open_year(4_500_100)
    assert (year.upfront_pence, year.tactical_pence) == (3_000_000, 1_500_100)
    pots = figures(year).pots
    assert pots["upfront"].allocated == 3_000_000 and pots["tactical"].allocated == 1_500_100
    assert pots["tactical"].locked and not pots["upfront"].locked
    stored = FinancialYear.get_by_id(year.id)
    assert stored.split_rule == "2/3" and stored.allocation_pence == 4_500_100
    assert isinstance(stored.allocation_pence, int)


def test_a_year_opens_once_per_partnership(db):
    year = open_year(100_000, name="Northshire CSP")
    with pytest.raises(Conflict, match="already has a 2024/25 year"):
        years.open_year(ADMIN, "Northshire CSP", "2024-25", 100_000)
    assert years.find_year("Northshire CSP").id == year.id


def test_priorities_copy_from_the_previous_year(db):
    partnerships.add_partnership(ADMIN, "Eastshire CSP")
    years.open_year(ADMIN, "Eastshire CSP", "2024/25", 100_000, priorities=["Road Safety", "Fraud"])
    later = years.open_year(ADMIN, "Eastshire CSP", "2025/26", 100_000)
    assert later.priorities == ("Road Safety", "Fraud")


def test_commitment_beyond_the_pot_is_refused_saying_what_is_available(db):
    year = open_year(900_000)  # upfront £6,000
    first, big, over = submit(year, "4,000"), submit(year, "1,500"), submit(year, "2,000")
    for pid in (first, big, over):
        to_opcc(pid)
    decisions.approve(ADMIN, first)
    decisions.approve(ADMIN, big)
    with pytest.raises(InsufficientFunds, match="has £500 available") as refusal:
        decisions.approve(ADMIN, over)
    assert "£2,000 cannot be committed" in refusal.value.message
    assert proposals.get(over).status == "submitted_to_opcc"  # nothing changed
    assert figures(year).pots["upfront"].available == 50_000


def test_a_proposal_asking_more_than_the_pot_is_refused_at_submission(db):
    year = open_year(900_000)
    with pytest.raises(InvalidInput, match="upfront pot has £6,000 available") as refusal:
        submit(year, "6,000.01")
    assert refusal.value.field == "amount"


def test_tactical_pot_is_locked_until_every_upfront_proposal_is_decided(db):
    year = open_year(900_000)
    waiting = submit(year, "1,000")
    with pytest.raises(PotLocked, match="1 upfront proposal is still awaiting"):
        submit(year, "500", pot="tactical")
    to_opcc(waiting)
    decisions.approve(ADMIN, waiting)
    tactical = figures(year).pots["tactical"]
    assert not tactical.locked
    assert tactical.allocated == 900_000 - 100_000  # allocation minus approved upfront spend
    assert submit(year, "500", pot="tactical")


def test_rollover_happens_exactly_once_as_ledger_entries(db):
    year = open_year(4_500_100)
    first, declined = submit(year, "10,000"), submit(year, "3,000")
    to_opcc(first)
    decisions.approve(ADMIN, first)
    assert figures(year).pots["tactical"].locked  # one upfront proposal still waits
    decisions.decide(ADMIN, declined, "decline", reason="Not a priority")
    entries = LedgerEntry.select().where(LedgerEntry.kind.in_(("rollover_in", "rollover_out")))
    assert [(e.kind, e.amount_pence) for e in entries.order_by(LedgerEntry.id)] == [
        ("rollover_out", 2_000_000), ("rollover_in", 2_000_000)]
    with pytest.raises(Conflict, match="already closed"):
        rounds.close_upfront_round(ADMIN, year.id)
    assert entries.count() == 2
    f = figures(year)
    assert f.rolled_over == 2_000_000 and f.pots["upfront"].available == 0
    assert f.pots["tactical"].allocated == 4_500_100 - 1_000_000
    assert proposals.get(first).status == "approved"


def test_no_rollover_before_the_upfront_cutoff(db, frozen_now):
    year = open_year(900_000)
    with year_transaction(year.id) as y:
        y.upfront_cutoff_at = datetime(2024, 5, 20, 12, 0)
        y.save()
    only = submit(year, "1,000")
    decisions.decide(ADMIN, only, "decline", reason="Duplicate")
    assert figures(year).pots["tactical"].locked
    frozen_now(datetime(2024, 5, 21, 9, 0))
    with pytest.raises(InvalidInput, match="cut-off for upfront projects in 2024/25 passed"):
        submit(year, "1,000")
    assert rounds.close_upfront_round(ADMIN, year.id) == 600_000


def test_closing_the_round_refuses_while_proposals_wait(db):
    year = open_year(900_000)
    ref = proposals.get(submit(year, "1,000")).ref
    with pytest.raises(Conflict, match=ref):
        rounds.close_upfront_round(ADMIN, year.id)


def test_money_released_from_upfront_after_rollover_goes_to_tactical(db):
    year = open_year(900_000)
    project = approved(year, "5,000")
    assert not figures(year).pots["tactical"].locked
    decisions.vary(ADMIN, project, 300_000, "OPCC email 3 June")
    pots = figures(year).pots
    assert pots["upfront"].available == 0 and pots["upfront"].committed == 300_000
    assert pots["tactical"].allocated == 300_000 + 100_000 + 200_000  # share + rollover + release
    decisions.cancel(ADMIN, project, "OPCC email 4 July")
    pots = figures(year).pots
    assert pots["upfront"].allocated == 0 and pots["tactical"].allocated == 900_000


def test_variation_and_cancellation_need_consent_and_respect_spend(db):
    year = open_year(900_000)
    project = approved(year, "5,000")
    spend.record(ADMIN, project, 100_000, date(2024, 7, 1), "Kit")
    with pytest.raises(InvalidInput, match="consent"):
        decisions.vary(ADMIN, project, 200_000, "  ")
    with pytest.raises(InvalidInput, match="£1,000 has already been spent"):
        decisions.vary(ADMIN, project, 50_000, "OPCC ref 9")
    outcome = decisions.cancel(ADMIN, project, "OPCC ref 10")
    assert outcome.released_pence == 400_000
    assert outcome.proposal.approved_pence == 100_000
    f = figures(year)
    assert f.committed == f.spent == 100_000


def test_spend_rules(db):
    year = open_year(900_000)
    project = approved(year, "2,000")
    waiting = submit(year, "100", pot="tactical")
    with pytest.raises(InvalidInput, match="outside 2024/25"):
        spend.record(ADMIN, project, 1_000, date(2025, 4, 1), "Late invoice")
    with pytest.raises(InvalidInput, match="£2,000 of its approved £2,000 left"):
        spend.record(ADMIN, project, 200_001, date(2024, 9, 1), "Too much")
    line = spend.record(ADMIN, project, 150_000, date(2025, 1, 5), "Training", "INV-1")
    assert line.quarter == 4
    spend.reverse(ADMIN, line.id, "Invoice was for another project")
    with pytest.raises(Conflict, match="already been reversed"):
        spend.reverse(ADMIN, line.id, "again")
    assert figures(year).spent == 0
    assert LedgerEntry.select().where(LedgerEntry.kind == "spend").count() == 1  # never edited
    with pytest.raises(Conflict, match="not an approved project"):
        spend.record(ADMIN, waiting, 100, date(2024, 9, 1), "x")


def test_year_end_figures(db):
    year = open_year(4_500_100)
    a, b = submit(year, "10,000"), submit(year, "5,000")
    for pid in (a, b):
        to_opcc(pid)
        decisions.approve(ADMIN, pid)
    spend.record(ADMIN, a, 600_000, date(2024, 10, 1), "Delivery")
    f = figures(year)
    assert f.committed == 1_500_000 and f.spent == 600_000
    assert f.committed_unspent == 900_000
    assert f.uncommitted == 4_500_100 - 1_500_000
    assert f.underspend == f.uncommitted + f.committed_unspent == 3_900_100


def test_every_change_is_audited_with_before_and_after(db):
    year = open_year(900_000)
    pid = submit(year, "1,000")
    decisions.decide(ADMIN, pid, "shortlist")
    record = (AuditRecord.select().where((AuditRecord.entity == "proposal")
                                         & (AuditRecord.action == "proposal.shortlist")).get())
    assert json.loads(record.before)["status"] == "submitted"
    assert json.loads(record.after)["status"] == "shortlisted"
    assert record.actor.startswith("cli:tests") and record.at is not None
    ledger_rows = LedgerEntry.select().count()
    ledger_audits = AuditRecord.select().where(AuditRecord.action.startswith("ledger.")).count()
    assert ledger_rows == ledger_audits == 2


def test_a_refused_change_leaves_no_trace(db):
    year = open_year(900_000)
    before = (AuditRecord.select().count(), LedgerEntry.select().count())
    with pytest.raises(FieldErrors):
        submit(year, "lots", title="")
    with pytest.raises(InvalidInput):
        submit(year, "7,000")
    assert (AuditRecord.select().count(), LedgerEntry.select().count()) == before
    assert pot_states(FinancialYear.get_by_id(year.id))["upfront"].committed == 0


def test_the_locked_tactical_pot_says_what_it_waits_for_and_how_to_open_it(db, frozen_now):
    year = open_year(900_000)
    first, second = submit(year, "1,000"), submit(year, "500")
    FinancialYear.update(upfront_cutoff_at=datetime(2024, 5, 31, 16, 0)).execute()
    with pytest.raises(PotLocked) as refusal:
        submit(year, "500", pot="tactical")
    said = refusal.value.message
    assert "2 upfront proposals are still awaiting a decision: CRG-2024/25-001, CRG-2024/25-002" in said
    assert "the upfront cut-off (31 May 2024 17:00) has passed" in said
    assert "`/crg close-upfront`" in said
    for pid in (first, second):
        decisions.decide(ADMIN, pid, "decline", reason="Not this year")
    with pytest.raises(PotLocked) as refusal:  # decided, but before the cut-off
        submit(year, "500", pot="tactical")
    assert "Every upfront proposal is decided, so an admin can open it now with" in (
        refusal.value.message)
