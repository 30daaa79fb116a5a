"""People by name: the directory of people, kept current from Slack, and read wherever people read.

Slack is played through signed requests into the real app and the fake Web API; the sheets, the
finance page and the command line are read back as a person would read them.
"""
import io
import json
import time
from datetime import date, timedelta

import openpyxl

from backend.domain import directory, login_links, people, spend, times
from backend.domain.actors import Actor
from backend.domain.exports import service
from backend.settings import Settings
from backend.web.app import create_app
from bot.background import drain
from bot.directory import forget_checks
from models import AuditRecord, Person, Proposal
from tests.builders import ADMIN, approved, open_year, to_opcc
from tests.slack.requests import users_select
from tests.slack_flows import form_values, opened_form, partnership, submit_form

FINANCE = Actor("U0FIN0001", "jo.officer")


def users_info_calls(fake, user=None):
    return [c for c in fake.calls_to("users.info") if user is None or c.args.get("user") == user]


def test_a_submission_never_waits_for_slack_names_and_never_stores_an_id(slack):
    """users.info failing slowly (Slack's edge answering 503, retried with backoff for seconds)
    costs the proposal nothing: it is saved at once with its contact's name unknown, shown as
    such, and the name arrives with the next look at that person."""
    partnership()
    slack.fake.server_error("users.info", 503, times=8)
    view = opened_form(slack)
    started = time.monotonic()
    values = form_values(title="Safer streets")
    values["contact"] = {"value": users_select("U_BOB")}
    response = submit_form(slack, view, values)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and not response.get_data(as_text=True)
    assert elapsed < 1.5, f"the submission waited {elapsed:.1f}s"
    assert drain(timeout=30)
    stored = Proposal.get()
    assert (stored.contact_slack_id, stored.contact_name) == ("U_BOB", "")
    assert users_info_calls(slack.fake, "U_BOB"), "Slack was asked about the contact"

    slack.fake.reset()
    slack.fake.add_user("U_BOB", "Bob Partner")
    forget_checks()  # an hour later
    slack.slack.command("help", user_id="U_BOB")
    assert drain(timeout=15)
    assert Proposal.get().contact_name == "Bob Partner"
    assert directory.get("U_BOB").real_name == "Bob Partner"


def test_slack_is_asked_only_about_unknown_or_day_old_names(slack):
    partnership()
    directory.learn("U_ALICE", display_name="Alice", real_name="Alice Able")
    for _ in range(3):
        slack.slack.command("help")
    assert drain(timeout=15)
    assert users_info_calls(slack.fake) == []  # known and fresh: Slack is not asked

    Person.update(refreshed_at=times.now() - timedelta(days=2)).execute()
    slack.fake.add_user("U_ALICE", "Alice Renamed")
    forget_checks()
    for _ in range(3):
        slack.slack.command("help")
    assert drain(timeout=15)
    assert len(users_info_calls(slack.fake, "U_ALICE")) == 1  # once, however many requests
    assert directory.name_of("U_ALICE") == "Alice Renamed"
    rename = AuditRecord.get(AuditRecord.action == "person.rename")
    assert json.loads(rename.before)["real_name"] == "Alice Able"
    assert json.loads(rename.after)["real_name"] == "Alice Renamed"


def test_a_failed_users_info_keeps_the_name_unknown_not_the_id(slack):
    slack.fake.fail("users.info", "user_not_found", times=3)
    slack.slack.command("help", user_id="U_NEWBIE")
    assert drain(timeout=15)
    assert directory.get("U_NEWBIE") is None
    assert directory.label("U_NEWBIE") == "U_NEWBIE (name not known yet)"


def test_user_change_renames_people_the_tracker_knows_and_no_one_else(slack):
    directory.learn("U_ALICE", display_name="Alice", real_name="Alice Able")

    def changed(user_id, real_name):
        return {"type": "user_change", "event_ts": "1715000000.000100", "cache_ts": 1715000000,
                "user": {"id": user_id, "name": user_id.lower(), "real_name": real_name,
                         "profile": {"real_name": real_name, "display_name": real_name.split()[0]}}}

    assert slack.slack.event(changed("U_ALICE", "Alice Married-Name")).status_code == 200
    assert slack.slack.event(changed("U_STRANGER", "Somebody Else")).status_code == 200
    assert directory.name_of("U_ALICE") == "Alice Married-Name"
    assert directory.get("U_STRANGER") is None  # the workspace is not copied, only its users here
    rename = AuditRecord.get(AuditRecord.action == "person.rename")
    assert rename.actor.startswith("slack:user_change")


def test_the_sheets_show_who_recorded_and_decided_by_name(db):
    year = open_year(900_000, name="Northshire CSP")
    people.grant(ADMIN, year.partnership_id, FINANCE.id, "finance")
    directory.learn(FINANCE.id, display_name="Jo", real_name="Jo Officer")
    project = approved(year, "2,000", contact_slack_id="U0UNNAMED", contact_name="")
    spend.record(FINANCE, project, 50_000, date(2024, 7, 1), "Kit")
    selection = service.select(ADMIN, "Northshire CSP", "2024/25")
    out = io.BytesIO()
    service.write_spend_sheet(selection, out)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))

    def column(sheet, title):
        rows = list(book[sheet].iter_rows(values_only=True))
        header = next(r for r in rows if title in r)
        at = header.index(title)
        return [r[at] for r in rows[rows.index(header) + 1:] if r[at] is not None]

    assert column("Spend", "Recorded by") == ["Jo Officer"]
    assert set(column("Decisions", "By")) == {"command line (tests)"}
    assert column("Projects", "Contact") == ["(name not known yet)"]
    text = json.dumps([list(r) for s in book for r in s.iter_rows(values_only=True)], default=str)
    assert "U0FIN0001" not in text


def test_the_finance_page_greets_people_by_name(db, db_url):
    year = open_year(900_000, name="Northshire CSP")
    people.grant(ADMIN, year.partnership_id, FINANCE.id, "finance")
    client = create_app(Settings(database_url=db_url)).test_client()
    token = login_links.issue(FINANCE, year.partnership_id)
    client.get(f"/finance/login/{token}")
    page = client.get("/finance").get_data(as_text=True)
    assert "Signed in as U0FIN0001 (name not known yet)" in page
    directory.learn(FINANCE.id, display_name="Jo", real_name="Jo Officer")
    page = client.get("/finance").get_data(as_text=True)
    assert "Signed in as Jo Officer</span>" in page and "Slack user" not in page


def test_show_history_and_role_listings_name_people(slack):
    partnership()
    from models import Partnership

    pid = Partnership.get().id
    people.grant(ADMIN, pid, "U0CHAIR01", "chair")
    view = opened_form(slack)
    submit_form(slack, view, form_values())
    to_opcc(Proposal.get().id)
    assert drain(timeout=15)
    roles = slack.slack.command("role").get_json()["text"]
    assert "• <@U0CHAIR01>: a working-group or CSP chair" in roles  # Slack shows the name
    shown = json.dumps(slack.slack.command("show 1").get_json())
    assert "by command line (tests)" in shown and "cli:tests" not in shown
