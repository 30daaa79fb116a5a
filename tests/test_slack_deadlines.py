"""Deadlines in Slack: listing them, and admins adding, moving and cancelling them with forms."""
import json
from datetime import timedelta

from backend.domain import deadlines, fiscal, times
from models.deadlines import Deadline
from tests.builders import ADMIN, open_year
from tests.slack.requests import datepicker, plain_text, static_select
from tests.slack_flows import WG


def this_year():
    return open_year(900_000, label=fiscal.label(fiscal.year_of(times.today_local())),
                     name="Dated CSP", channels=[WG])


def text_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["text"] if response.get_data() else ""


def when(days):
    day = (times.today_local() + timedelta(days=days)).isoformat()
    return {"date": {"value": datepicker(day)},
            "time": {"value": {"type": "timepicker", "selected_time": "12:30"}}}


def test_listing_adding_moving_and_cancelling(slack):
    this_year()
    listing = text_of(slack.slack.command("deadlines 400"))
    assert "Spend deadline" in listing and "Spend completed and claimed" in listing
    assert "Only a community safety team admin can add deadlines" in text_of(
        slack.slack.command("deadline", user_id="U_ALICE"))

    slack.slack.command("deadline", user_id="U_ADMIN")
    form = slack.fake.last("views.open").arg("view")
    values = {"kind": {"value": static_select("other", "Other")},
              "title": {"value": plain_text("Community safety summit")}, **when(10)}
    response = slack.slack.submit_view(form["callback_id"], values, user_id="U_ADMIN",
                                       private_metadata=form["private_metadata"])
    assert response.status_code == 200 and not response.get_data()
    added = Deadline.get(Deadline.title == "Community safety summit")
    assert times.to_local(added.due_at).strftime("%H:%M") == "12:30"

    slack.slack.command(f"deadline move {added.id}", user_id="U_ADMIN")
    form = slack.fake.last("views.open").arg("view")
    past = slack.slack.submit_view(form["callback_id"], when(-3), user_id="U_ADMIN",
                                   private_metadata=form["private_metadata"]).get_json()
    assert past["response_action"] == "errors" and "date" in past["errors"]
    slack.slack.submit_view(form["callback_id"], when(20), user_id="U_ADMIN",
                            private_metadata=form["private_metadata"])
    assert (Deadline.get_by_id(added.id).due_at.date() - added.due_at.date()).days == 10

    assert "Cancelled" in text_of(slack.slack.command(f"deadline cancel {added.id}", user_id="U_ADMIN"))
    assert Deadline.get_by_id(added.id).status == "cancelled"
    assert "already cancelled" in text_of(slack.slack.command(f"deadline cancel {added.id}",
                                                             user_id="U_ADMIN"))


def test_home_shows_what_is_due_soon(slack):
    year = this_year()
    soon = times.to_local(times.now()).replace(tzinfo=None) + timedelta(days=3)
    deadlines.add(ADMIN, year.partnership_id, "other", "Feedback due", soon)
    slack.slack.event({"type": "app_home_opened", "user": "U_ALICE", "tab": "home",
                       "channel": "D_ALICE", "event_ts": "1.2"})
    view = slack.fake.wait_for("views.publish")[0].arg("view")
    assert "Feedback due" in json.dumps(view)
