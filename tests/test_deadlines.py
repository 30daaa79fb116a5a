"""Deadlines: who may change them, the year template, meetings, settings and working days."""
import json
from datetime import date, datetime, timedelta

import pytest

from backend.domain import audit, deadlines, fiscal, years
from backend.domain.actors import Actor
from backend.domain.deadlines import TemplateItem
from backend.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from backend.domain.workdays import easter_sunday, england_and_wales, is_working_day
from models import Member
from tests.builders import ADMIN, open_year

PARTNER = Actor("U_PARTNER", "Pat Partner")
TEAM_ADMIN = Actor("U_TEAMADM", "Ann Admin")


def _member(year, actor, role):
    Member.create(partnership=year.partnership_id, slack_user_id=actor.id, role=role,
                  granted_by="tests", granted_at=datetime(2024, 4, 1))


def test_opening_a_year_creates_the_usual_deadlines_still_to_come(db, frozen_now):
    frozen_now(datetime(2024, 5, 1, 9, 0))
    year = open_year(label="2024/25")
    made = deadlines.upcoming(year.partnership_id)
    kinds = [d.kind for d in made]
    # The April cut-off and meeting had already passed on 1 May: they are not made.
    assert "proposal_cutoff" not in kinds and "wg_meeting" not in kinds
    assert kinds.count("progress_reports_due") == 4
    spend = next(d for d in made if d.kind == "spend_deadline")
    # 31 March 2025 is in British Summer Time: 17:00 in London is 16:00 UTC.
    assert spend.due_at == datetime(2025, 3, 31, 16, 0)
    assert spend.due_local.strftime("%Y-%m-%d %H:%M") == "2025-03-31 17:00"
    assert spend.concerns == "project_leads" and spend.source == "template"
    mid_year, monitoring = [d for d in made if d.kind == "monitoring_return"]
    assert mid_year.due_local.date() == date(2024, 10, 30)
    assert monitoring.due_local.date() == date(2025, 4, 30) and monitoring.year_label == "2024/25"
    assert monitoring.concerns == "project_leads"  # leads whose figures are missing are chased
    business = next(d for d in made if d.kind == "business_cases_due")
    assert business.concerns == "proposers"
    # Running the template again adds nothing.
    from models import FinancialYear

    assert deadlines.create_from_template(ADMIN, FinancialYear.get_by_id(year.id)) == []


def test_only_admins_add_move_and_cancel(db, frozen_now):
    year = open_year(label="2024/25")
    due = datetime(2024, 7, 19, 12, 0)
    with pytest.raises(NotAllowed, match="Only a community safety team admin can add deadlines"):
        deadlines.add(PARTNER, year.partnership_id, "other", "Feedback on the draft plan", due)
    _member(year, TEAM_ADMIN, "admin")
    made = deadlines.add(TEAM_ADMIN, year.partnership_id, "other", "Feedback on the draft plan",
                         due, people=["<@U_ONE>", "U_TWO"])
    assert made.people == ("U_ONE", "U_TWO") and made.concerns == "partnership"
    with pytest.raises(NotAllowed):
        deadlines.move(PARTNER, made.id, datetime(2024, 7, 26, 12, 0))
    with pytest.raises(NotAllowed):
        deadlines.cancel(PARTNER, made.id)
    moved = deadlines.move(TEAM_ADMIN, made.id, datetime(2024, 7, 26, 12, 0))
    assert moved.due_at == datetime(2024, 7, 26, 11, 0)
    assert deadlines.cancel(TEAM_ADMIN, made.id).status == "cancelled"
    with pytest.raises(Conflict, match="already cancelled"):
        deadlines.cancel(TEAM_ADMIN, made.id)
    with pytest.raises(Conflict, match="was cancelled"):
        deadlines.move(TEAM_ADMIN, made.id, datetime(2024, 8, 2, 12, 0))
    actions = [h.action for h in audit.history("deadline", made.id)]
    assert actions == ["deadline.add", "deadline.move", "deadline.cancel"]
    assert made.id not in [d.id for d in deadlines.upcoming(year.partnership_id)]


@pytest.mark.parametrize("change, message", [
    (dict(due=datetime(2024, 4, 1, 9, 0)), "is in the past"),
    (dict(kind="birthday"), "is not a kind of deadline"),
    (dict(title="  "), "Give the deadline a title"),
    (dict(due=datetime(2027, 1, 5, 9, 0)), "has no 2026/27 year yet"),
    (dict(people=["@channel"]), "is not a Slack user id"),
    (dict(concerns="everyone"), "is not who a deadline can concern"),
])
def test_refusals_are_one_sentence(db, frozen_now, change, message):
    year = open_year(label="2024/25")
    values = dict(kind="other", title="Feedback", due=datetime(2024, 7, 19, 12, 0), people=(),
                  concerns=None)
    values.update(change)
    with pytest.raises((InvalidInput, NotFound), match=message):
        deadlines.add(ADMIN, year.partnership_id, values["kind"], values["title"], values["due"],
                      people=values["people"], concerns=values["concerns"])


@pytest.mark.parametrize("text, expected", [
    ("2025-03-31 17:00", datetime(2025, 3, 31, 17, 0)),
    ("31/03/2025 09:30", datetime(2025, 3, 31, 9, 30)),
    ("2025-03-31", datetime(2025, 3, 31, 17, 0)),
    ("2025-03-31T08:15", datetime(2025, 3, 31, 8, 15)),
    ("31 Mar 2025 10.00", datetime(2025, 3, 31, 10, 0)),
])
def test_due_dates_are_read_in_the_usual_forms(text, expected):
    assert deadlines.parse_due(text) == expected


@pytest.mark.parametrize("text", ["31/02/2025", "tomorrow", "2025-03-31 25:00", ""])
def test_unreadable_due_dates_are_refused(text):
    with pytest.raises(InvalidInput, match="is not a|not a time"):
        deadlines.parse_due(text)


def test_a_wall_clock_time_survives_the_clock_changes(db, frozen_now):
    year = open_year(label="2024/25")
    summer = deadlines.add(ADMIN, year.partnership_id, "other", "Before", datetime(2024, 10, 25, 9, 0))
    winter = deadlines.add(ADMIN, year.partnership_id, "other", "After", datetime(2024, 10, 28, 9, 0))
    assert summer.due_at == datetime(2024, 10, 25, 8, 0)  # BST
    assert winter.due_at == datetime(2024, 10, 28, 9, 0)  # GMT
    assert summer.due_local.hour == winter.due_local.hour == 9


def test_an_edited_template_is_used_for_the_next_year(db, frozen_now):
    frozen_now(datetime(2025, 3, 1, 9, 0))
    first = open_year(label="2024/25")
    with pytest.raises(NotAllowed):
        deadlines.set_template(PARTNER, first.partnership_id, [])
    deadlines.set_template(ADMIN, first.partnership_id, [
        TemplateItem("spend_deadline", "All spend in", 3, 14, "12:00"),
        TemplateItem("monitoring_return", "Return to the OPCC", 5, 15, "17:00", after_year_end=True),
    ])
    years.open_year(ADMIN, first.partnership, "2025/26", 3_000_000)
    made = deadlines.upcoming(first.partnership_id, year_id=years.find_year(
        first.partnership_id, "2025/26").id)
    assert [(d.title, d.due_local.strftime("%Y-%m-%d %H:%M")) for d in made] == [
        ("All spend in", "2026-03-13 12:00"),  # the 14th is a Saturday: the Friday before
        ("Return to the OPCC", "2026-05-15 17:00")]
    with pytest.raises(InvalidInput, match="not a day of the year"):
        deadlines.set_template(ADMIN, first.partnership_id, [TemplateItem("other", "x", 2, 30)])


def test_the_usual_deadlines_skip_weekends_bank_holidays_and_closed_days(db, frozen_now):
    frozen_now(datetime(2027, 4, 1, 8, 0))
    year = open_year(label="2026/27")  # so the next year opened keeps its settings
    deadlines.update_settings(ADMIN, year.partnership_id, closed_days=["2028-01-14"])
    years.open_year(ADMIN, year.partnership, "2027/28", 3_000_000)
    made = {d.title: d.due_local for d in deadlines.upcoming(
        year.partnership_id, year_id=years.find_year(year.partnership_id, "2027/28").id)}
    # 31 May 2027 is the spring bank holiday: business cases are due the Friday before.
    business_cases = made["Business cases due to the OPCC"].replace(tzinfo=None)
    assert business_cases == datetime(2027, 5, 28, 17, 0)
    # 15 January 2028 is a Saturday, and the partnership is closed on Friday the 14th.
    assert made["Q3 progress reports due"].date() == date(2028, 1, 13)
    assert made["Spend completed and claimed"].date() == date(2028, 3, 31)  # a Friday: unmoved
    for due in made.values():
        assert is_working_day(due.date()) and due.date() != date(2028, 1, 14)


def test_a_meeting_makes_its_cutoff_and_meeting_deadlines_once(db, frozen_now):
    year = open_year(label="2024/25")
    _member(year, Actor("U_CHAIR"), "chair")
    chair = Actor("U_CHAIR")
    made = deadlines.for_meeting(chair, year.id, "m1", datetime(2024, 6, 20, 10, 0),
                                 cutoff_at_local=datetime(2024, 6, 6, 17, 0))
    assert [d.kind for d in made] == ["proposal_cutoff", "wg_meeting"]
    again = deadlines.for_meeting(chair, year.id, "m1", datetime(2024, 6, 27, 10, 0),
                                  cutoff_at_local=datetime(2024, 6, 6, 17, 0))
    assert [d.id for d in again] == [d.id for d in made]
    assert again[1].due_local == datetime(2024, 6, 27, 10, 0).replace(tzinfo=again[1].due_local.tzinfo)
    with pytest.raises(NotAllowed):
        deadlines.for_meeting(PARTNER, year.id, "m2", datetime(2024, 6, 27, 10, 0))
    assert deadlines.cancel_meeting(chair, "m1") == 2
    assert deadlines.upcoming(year.partnership_id, days=60) == [
        d for d in deadlines.upcoming(year.partnership_id, days=60) if d.source != "meeting"]


def test_reminder_settings_are_checked_and_kept(db, frozen_now):
    year = open_year(label="2024/25")
    assert deadlines.config(year.partnership_id).offsets == (14, 7, 1, 0)
    cfg = deadlines.update_settings(ADMIN, year.partnership_id, offsets="0, 3,10", send_time="8.30",
                                    digest_weekday="fri", closed_days=["2024-12-27"])
    assert cfg.offsets == (10, 3, 0) and cfg.send_time == (8, 30) and cfg.digest_weekday == 4
    assert not cfg.is_working_day(date(2024, 12, 27))
    assert deadlines.config(year.partnership_id) == cfg
    for bad in (dict(offsets="7,x"), dict(offsets="90"), dict(send_time="25:00"),
                dict(digest_weekday="sunday"), dict(bank_holidays="scotland")):
        with pytest.raises(InvalidInput):
            deadlines.update_settings(ADMIN, year.partnership_id, **bad)
    with pytest.raises(NotAllowed):
        deadlines.update_settings(PARTNER, year.partnership_id, offsets="1")


def test_bank_holidays_of_england_and_wales():
    assert easter_sunday(2024) == date(2024, 3, 31) and easter_sunday(2025) == date(2025, 4, 20)
    assert england_and_wales(2024) == {date(2024, 1, 1), date(2024, 3, 29), date(2024, 4, 1),
                                       date(2024, 5, 6), date(2024, 5, 27), date(2024, 8, 26),
                                       date(2024, 12, 25), date(2024, 12, 26)}
    assert {date(2022, 12, 26), date(2022, 12, 27)} <= england_and_wales(2022)  # Christmas Sunday
    assert {date(2021, 12, 27), date(2021, 12, 28)} <= england_and_wales(2021)  # Christmas Saturday
    assert date(2028, 1, 3) in england_and_wales(2028)  # New Year's Day on a Saturday
    assert not is_working_day(date(2024, 5, 27)) and is_working_day(date(2024, 5, 27), "none")
    assert not is_working_day(date(2024, 6, 1))  # a Saturday


def test_the_deadline_commands(crg, frozen_now):
    crg("partnership", "add", "West CSP", "--channel", "C0WEST")
    soon = date.today() + timedelta(days=30)  # the processes run on the real clock
    crg("year", "open", "West CSP", fiscal.label(fiscal.year_of(soon)), "--allocation", "30000")
    due, later = f"{soon.isoformat()} 12:00", f"{(soon + timedelta(days=1)).isoformat()} 12:00"
    out = crg("deadline", "add", "West CSP", "other", due, "Feedback on the plan", "--person", "U0AB")
    number = out.split("#", 1)[1].split()[0]
    listed = json.loads(crg("deadline", "list", "West CSP", "--json"))
    assert any(d["title"] == "Feedback on the plan" and d["people"] == ["U0AB"] for d in listed)
    assert "Moved" in crg("deadline", "move", number, later)
    assert "Cancelled" in crg("deadline", "cancel", number)
    assert crg("deadline", "cancel", number, ok=False).endswith("is already cancelled.")
    refused = crg("deadline", "add", "West CSP", "party", due, "x", ok=False)
    assert "is not a kind of deadline" in refused
    assert "09:30" in crg("deadline", "settings", "West CSP", "--at", "09:30", "--offsets", "7,1")
    assert "Spend completed and claimed" in crg("deadline", "template", "West CSP")
