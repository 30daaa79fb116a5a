"""Progress reports and who may record spend, on both databases."""
import json
from datetime import date, datetime

import pytest

from backend.domain import decisions, progress, spend, times
from backend.domain.actors import Actor
from backend.domain.errors import Conflict, FieldErrors, NotAllowed
from models import AuditRecord, LedgerEntry, Member
from models.progress import PartnershipOption, ProgressReport
from tests.builders import ADMIN, PROPOSER, approved, open_year, submit, to_opcc
from tests.test_export_queries import count_queries

CONTACT = Actor("U_CONTACT", "Cam Contact")
STRANGER = Actor("U_OTHER", "Oli Other")
FINANCE = Actor("U_FIN", "Fran Finance")
CHAIR = Actor("U_CHAIR", "Chris Chair")


def _member(year, who: Actor, role: str):
    Member.create(partnership=year.partnership_id, slack_user_id=who.id, role=role,
                  granted_by="tests", granted_at=times.now())


def _report(who, pid, **overrides):
    values = dict(narrative="Going well", rag="green", outputs="2 of 6 sessions delivered",
                  on=date(2024, 9, 12))
    values.update(overrides)
    return progress.record(who, pid, **values)


def test_the_lead_or_an_admin_reports_progress_and_it_is_audited(db):
    year = open_year(900_000)
    pid = approved(year, "2,000", contact_slack_id=CONTACT.id)
    _member(year, CHAIR, "chair")
    by_proposer = _report(PROPOSER, pid, outputs="2 of 6 sessions delivered, 80+ attendees")
    assert (by_proposer.rag, by_proposer.period) == ("green", "2024/25 Q2")
    assert by_proposer.summary == ("Green, 12 Sep 2024: 2 of 6 sessions delivered, 80+ attendees; "
                                   "Going well")
    _report(CONTACT, pid, rag="Amber", on=date(2024, 10, 2))
    _report(ADMIN, pid, rag="r", period="q3", on=date(2024, 10, 3))
    for who in (STRANGER, CHAIR):
        with pytest.raises(NotAllowed, match="project's lead .* or an admin"):
            _report(who, pid)
    reports = progress.reports_for(pid)
    assert [(r.rag, r.period) for r in reports] == [
        ("red", "2024/25 Q3"), ("amber", "2024/25 Q3"), ("green", "2024/25 Q2")]
    assert reports[-1].reporter == "U_PROP (Pat Proposer)"
    audits = AuditRecord.select().where(AuditRecord.action == "progress.report")
    assert audits.count() == 3
    assert {a.entity_id for a in audits} == {pid}


def test_only_approved_projects_report(db):
    year = open_year(900_000)
    waiting, cancelled = submit(year, "1,000"), submit(year, "1,000")
    for pid in (waiting, cancelled):
        to_opcc(pid)
    decisions.approve(ADMIN, cancelled)
    decisions.cancel(ADMIN, cancelled, "OPCC email 1 June")
    for pid in (waiting, cancelled):
        with pytest.raises(Conflict, match="not an approved project"):
            _report(ADMIN, pid)
    assert ProgressReport.select().count() == 0


def test_a_bad_report_is_refused_field_by_field_and_changes_nothing(db, frozen_now):
    year = open_year(900_000)
    pid = approved(year, "1,000")
    frozen_now(datetime(2024, 9, 1, 12, 0))
    before = AuditRecord.select().count()
    with pytest.raises(FieldErrors) as refusal:
        _report(PROPOSER, pid, narrative="  ", rag="purple", outputs="x" * 1001,
                on=date(2024, 9, 2))
    assert set(refusal.value.errors) == {"narrative", "rag", "outputs", "reported_on"}
    assert "choose red, amber or green" in refusal.value.errors["rag"]
    assert "in the future" in refusal.value.errors["reported_on"]
    with pytest.raises(FieldErrors, match="before 2024/25 began"):
        _report(PROPOSER, pid, on=date(2024, 3, 31))
    assert ProgressReport.select().count() == 0 and AuditRecord.select().count() == before
    today = _report(PROPOSER, pid, on=None)
    assert (today.reported_on, today.period) == (date(2024, 9, 1), "2024/25 Q2")


def test_latest_progress_is_one_query_for_any_number_of_projects(db):
    year = open_year(4_500_100)
    pids = [submit(year, "1,000", title=f"Project {n}") for n in range(4)]
    for pid in pids:
        to_opcc(pid)
        decisions.approve(ADMIN, pid)
    _report(ADMIN, pids[0], rag="green", on=date(2024, 6, 1))
    _report(ADMIN, pids[0], rag="red", on=date(2024, 9, 1))
    _report(ADMIN, pids[0], rag="amber", on=date(2024, 7, 1))  # late, about an earlier date
    _report(ADMIN, pids[1], rag="amber", on=date(2024, 8, 1))
    _report(ADMIN, pids[1], rag="green", on=date(2024, 8, 1))  # same day: the later one wins
    with count_queries() as queries:
        latest = progress.latest_progress(pids)
    assert len(queries) == 1
    assert {pid: r.rag for pid, r in latest.items()} == {pids[0]: "red", pids[1]: "green"}
    assert isinstance(latest[pids[0]].reported_on, date)
    assert progress.latest_progress([]) == {}


def test_reports_satisfy_the_period_they_fall_in(db):
    year = open_year(4_500_100)
    first, second = submit(year, "1,000"), submit(year, "1,000")
    for pid in (first, second):
        to_opcc(pid)
        decisions.approve(ADMIN, pid)
    _report(ADMIN, first, on=date(2024, 9, 30))
    assert progress.has_report_for_period(first, date(2024, 7, 1), date(2024, 9, 30))
    assert not progress.has_report_for_period(first, date(2024, 10, 1), date(2024, 12, 31))
    assert not progress.has_report_for_period(second, date(2024, 7, 1), date(2024, 9, 30))
    assert progress.reported_between([first, second], date(2024, 4, 1),
                                     date(2025, 3, 31)) == {first}


def test_leads_record_spend_only_where_the_partnership_allows(db):
    year = open_year(900_000)
    pid = approved(year, "2,000", contact_slack_id=CONTACT.id)
    other = open_year(900_000)
    _member(year, FINANCE, "finance")
    with pytest.raises(NotAllowed, match="Only finance staff or .* admin can record spend"):
        spend.record(CONTACT, pid, 10_000, date(2024, 7, 1), "Venue hire")
    line = spend.record(FINANCE, pid, 10_000, date(2024, 7, 1), "Venue hire", "INV-7")
    assert not PartnershipOption.select().exists()  # nothing stored until someone chooses

    with pytest.raises(NotAllowed):
        spend.allow_leads_to_record_spend(FINANCE, year.partnership_id, True)
    spend.allow_leads_to_record_spend(ADMIN, year.partnership_id, True)
    assert spend.leads_may_record_spend(year.partnership_id)
    assert not spend.leads_may_record_spend(other.partnership_id)
    for lead in (CONTACT, PROPOSER):
        spend.record(lead, pid, 5_000, date(2024, 8, 1), "Leaflets")
    spend.reverse(CONTACT, line.id, "Invoice was for another project")
    with pytest.raises(NotAllowed, match="finance staff, .* admin or the project's lead"):
        spend.record(STRANGER, pid, 5_000, date(2024, 8, 1), "Leaflets")

    spend.allow_leads_to_record_spend(ADMIN, year.partnership_id, False)
    with pytest.raises(NotAllowed):
        spend.record(CONTACT, pid, 5_000, date(2024, 8, 1), "Leaflets")
    assert PartnershipOption.select().count() == 1
    changes = AuditRecord.select().where(AuditRecord.action == "partnership.leads_record_spend")
    assert [c.after for c in changes.order_by(AuditRecord.id)] == [
        '{"leads_record_spend": true}', '{"leads_record_spend": false}']
    spent = LedgerEntry.select().where(LedgerEntry.kind == "spend").count()
    assert spent == 3


def _denials():
    return [(a.actor.split()[0], a.entity_id, json.loads(a.after)["attempted"])
            for a in AuditRecord.select().where(AuditRecord.action == "denied")
            .order_by(AuditRecord.id)]


REPORT = "tried to report progress on CRG-2024/25-001"  # in plain words, not a function's name
SPEND = "tried to record spend on CRG-2024/25-001"


def test_who_may_report_or_record_is_asked_once_and_answered_as_the_save_would(db):
    year = open_year(900_000)
    pid = approved(year, "2,000", contact_slack_id=CONTACT.id)
    waiting = submit(year, "1,000", pot="tactical")
    _member(year, FINANCE, "finance")
    assert progress.may_report(CONTACT, pid).id == pid
    assert spend.may_record(FINANCE, pid).ref == "CRG-2024/25-001"
    for ask, save in ((progress.may_report, _report),
                      (spend.may_record,
                       lambda who, p: spend.record(who, p, 100, date(2024, 7, 1), "Kit"))):
        for who, project, refusal in ((STRANGER, pid, NotAllowed), (CHAIR, pid, NotAllowed),
                                      (ADMIN, waiting, Conflict)):
            with pytest.raises(refusal) as asked:
                ask(who, project)
            with pytest.raises(refusal) as saved:
                save(who, project)
            assert asked.value.message == saved.value.message
    # Each refusal of who may act is in the audit trail once, under what was attempted.
    assert _denials() == [
        ("U_OTHER", pid, REPORT), ("U_OTHER", pid, REPORT),
        ("U_CHAIR", pid, REPORT), ("U_CHAIR", pid, REPORT),
        ("U_OTHER", pid, SPEND), ("U_OTHER", pid, SPEND),
        ("U_CHAIR", pid, SPEND), ("U_CHAIR", pid, SPEND)]
    spend.allow_leads_to_record_spend(ADMIN, year.partnership_id, True)
    assert spend.may_record(CONTACT, pid).id == pid
    assert ProgressReport.select().count() == 0 and not LedgerEntry.select().where(
        LedgerEntry.kind == "spend").exists()
