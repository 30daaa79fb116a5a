"""`crg demo` tells a consistent story whatever today's date is, and can be loaded twice."""
from datetime import datetime

import pytest

from backend.cli.demo import DEFAULT_NAME, demo_channel, load_demo
from backend.domain import fiscal, partnerships, times
from backend.domain.actors import command_line
from backend.domain.exports import service
from backend.domain.exports.data import DECISION_ACTIONS, gather
from backend.settings import Settings
from models import AuditRecord, Deadline, FinancialYear, LedgerEntry, Proposal

TODAYS = [
    datetime(2026, 3, 31, 23, 30),  # 00:30 on 1 April in London: this year is minutes old
    datetime(2026, 12, 2, 12, 0),
    datetime(2027, 3, 31, 21, 0),  # the year's last evening
]


@pytest.mark.parametrize("today", TODAYS, ids=lambda d: d.isoformat())
def test_the_demo_is_dated_consistently_whatever_today_is(db, monkeypatch, today):
    monkeypatch.setattr(times, "_wall_clock", lambda: today)
    load_demo(command_line("tests"), DEFAULT_NAME)
    now, local_today = times.now(), times.today_local()
    assert now == today
    years = {y.id: y for y in FinancialYear.select()}
    proposals = {p.id: p for p in Proposal.select()}

    for record in AuditRecord.select():
        assert record.at <= now, (record.action, record.at)
    decisions = AuditRecord.select().where((AuditRecord.entity == "proposal")
                                           & AuditRecord.action.in_(DECISION_ACTIONS))
    for record in decisions:
        year = years[proposals[record.entity_id].year_id]
        day = times.to_local(record.at).date()
        assert fiscal.first_day(year.start_year) <= day <= fiscal.last_day(year.start_year), (
            record.action, day, year.label)

    spend = LedgerEntry.select().where(LedgerEntry.kind == "spend")
    assert spend.count() == 4
    for line in spend:
        assert line.occurred_on <= local_today and line.created_at <= now
        approved = proposals[line.proposal_id].pcc_decided_at
        assert approved is not None and times.to_local(approved).date() <= line.occurred_on
        assert times.to_local(line.created_at).date() >= line.occurred_on

    package = service.giving360_package(
        service.select(command_line("tests"), DEFAULT_NAME, fiscal.label(fiscal.year_of(
            local_today) - 1)), Settings())
    for grant in package["grants"]:
        assert grant["awardDate"] < grant["plannedDates"][0]["endDate"], grant["title"]

    # Only this year's usual deadlines still to come: none of last year's, none already past.
    due = list(Deadline.select())
    assert all(d.due_at > now for d in due)
    assert {years[d.year_id].start_year for d in due} <= {fiscal.year_of(local_today)}


def test_a_second_demo_partnership_can_be_loaded_beside_the_first(db):
    load_demo(command_line("tests"), DEFAULT_NAME)
    load_demo(command_line("tests"), "Second Demo CSP")
    found = {p.name: p for p in partnerships.list_partnerships()}
    assert set(found) == {DEFAULT_NAME, "Second Demo CSP"}
    assert found[DEFAULT_NAME].working_group_channel == demo_channel(DEFAULT_NAME)
    assert found["Second Demo CSP"].working_group_channel == demo_channel("Second Demo CSP")
    assert demo_channel(DEFAULT_NAME) != demo_channel("Second Demo CSP")


def test_the_demos_people_have_names(db):
    load_demo(command_line("tests"), DEFAULT_NAME)
    selection = service.select(command_line("tests"), DEFAULT_NAME,
                               fiscal.label(fiscal.year_of(times.today_local()) - 1))
    data = gather(selection.year_ids)
    assert {p.contact_name for p in data.projects} == {"Sam Patel", "Jo Evans", "Ade Okafor"}
    assert {d.actor for d in data.decisions()} == {"command line (tests)"}
