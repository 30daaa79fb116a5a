"""Setting up from Slack, as a new deployment's people do it: nothing typed on a server.

Everything goes through signed Slack requests into the real app and the fake Web API; forms are
submitted from the views the app actually opened, on SQLite and on PostgreSQL.
"""
import json

import pytest

from backend.domain import people
from backend.domain.pots import year_figures
from backend.domain.years import DEFAULT_PRIORITIES, find_year
from bot.background import drain
from models import AuditRecord, Channel, FinancialYear, Partnership, Proposal
from tests.builders import ADMIN, open_year
from tests.slack.channels import bot_channels
from tests.slack_flows import form_values, submit_form

ADMIN_ID = "U_ADMIN"  # in ADMIN_SLACK_IDS (the slack fixture's settings)
WG = "C0CSPWG01"
CHAIR, FINANCE, TEAM = "U0CHAIR01", "U0FIN0001", "U0TEAM01"


@pytest.fixture
def channels(slack):
    with bot_channels() as joined:
        yield joined


def reply_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["response_type"] == "ephemeral"
    return body["text"] + json.dumps(body.get("blocks") or [])


def opened(slack, after: int = 0) -> dict:
    calls = slack.fake.calls_to("views.open")
    assert len(calls) > after, "no form was opened"
    return calls[-1].arg("view")


def blocks_of(view: dict) -> dict:
    return {b.get("block_id"): b for b in view["blocks"]}


def filled(view: dict, **typed) -> dict:
    """The opened view's inputs as Slack submits them: what it offered, changed where `typed`
    says (text inputs by block id; people pickers as lists)."""
    values = {}
    for block_id, block in blocks_of(view).items():
        if block.get("type") != "input":
            continue
        element = block["element"]
        if element["type"] == "plain_text_input":
            value = typed.get(block_id, element.get("initial_value"))
            values[block_id] = {"value": {"type": "plain_text_input", "value": value}}
        elif element["type"] == "multi_users_select":
            chosen = typed.get(block_id, element.get("initial_users", []))
            values[block_id] = {"value": {"type": "multi_users_select", "selected_users": chosen}}
        elif element["type"] == "conversations_select":
            values[block_id] = {"value": {"type": "conversations_select",
                                          "selected_conversation": typed.get(block_id)}}
    return values


def submit(slack, view, user_id=ADMIN_ID, **typed):
    return slack.slack.submit_view(view["callback_id"], filled(view, **typed), user_id=user_id,
                                   private_metadata=view["private_metadata"])


def type_allocation(slack, view, text, user_id=ADMIN_ID) -> str:
    """Type into the allocation input; the line under it, as the app rewrote it."""
    shown = dict(view, id="V0SETUP01", hash="1.abc")
    before = len(slack.fake.calls_to("views.update"))
    slack.slack.action("value", {"type": "plain_text_input", "value": text}, user_id=user_id,
                       view=shown, block_id="allocation")
    update = slack.fake.wait_for("views.update", count=before + 1)[-1]
    assert update.args["view_id"] == "V0SETUP01"
    split = blocks_of(update.arg("view"))["allocation_split"]
    return split["elements"][0]["text"]


def test_a_new_deployment_from_the_first_command_to_the_first_proposal(slack, channels):
    # No partnership yet: the first /crg says how to begin, and who can.
    first = reply_text(slack.slack.command("", user_id="U_ALICE", channel_id=WG))
    assert "No partnership has been set up" in first and "/crg setup" in first
    assert "U_ADMIN" in first and "crg partnership add" not in first
    asked = reply_text(slack.slack.command("propose", user_id="U_ALICE", channel_id=WG))
    assert "/crg setup" in asked and "crg partnership add" not in asked

    # The admin types /crg setup in the working group's channel, which the bot is not in yet.
    told = reply_text(slack.slack.command("setup", user_id=ADMIN_ID, channel_id=WG))
    assert "/invite @CRG Tracker" in told and not slack.fake.calls_to("views.open")

    channels.invite(WG)
    assert slack.slack.command("setup", user_id=ADMIN_ID, channel_id=WG).get_data() == b""
    form = opened(slack)
    assert form["callback_id"] == "setup_partnership"
    fields = blocks_of(form)
    assert fields["priorities"]["element"]["initial_value"].splitlines() == list(DEFAULT_PRIORITIES)
    assert fields["admins"]["element"]["initial_users"] == [ADMIN_ID]
    assert fields["allocation"]["dispatch_action"] is True
    assert fields["allocation"]["element"]["dispatch_action_config"] == {
        "trigger_actions_on": ["on_character_entered"]}  # shown as they type, no Enter needed

    # The split appears under the amount as it is typed.
    assert "upfront £30,000" in type_allocation(slack, form, "45,001")
    assert "tactical £15,001" in type_allocation(slack, form, "45,001")
    assert "not an amount I can read" in type_allocation(slack, form, "45k")

    priorities = "\n".join(DEFAULT_PRIORITIES[:6] + ("Rural Crime",))
    response = submit(slack, form, name="Northshire CSP", allocation="£45,001",
                      priorities=priorities, admins=[TEAM], chairs=[CHAIR], finance=[FINANCE])
    assert response.status_code == 200 and response.get_data() == b"", response.get_data()

    partnership = Partnership.get(Partnership.name == "Northshire CSP")
    wg = Channel.get(Channel.partnership == partnership)
    assert (wg.slack_channel_id, wg.is_working_group) == (WG, True)
    year = find_year(partnership.id)
    figures = year_figures(year)
    assert (year.allocation_pence, figures.pots["upfront"].allocated,
            figures.pots["tactical"].allocated) == (4_500_100, 3_000_000, 1_500_100)
    assert figures.pots["tactical"].locked
    assert dict(people.roles_of_partnership(partnership.id)) == {
        TEAM: "admin", CHAIR: "chair", FINANCE: "finance"}
    setup_record = AuditRecord.get(AuditRecord.action == "partnership.setup")
    assert json.loads(setup_record.after)["chair"] == [CHAIR]
    assert setup_record.actor.startswith(ADMIN_ID)
    assert drain(timeout=15)
    welcome = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == WG]
    assert welcome and "working group's channel of *Northshire CSP*" in welcome[0].args["text"]
    told_chair = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == CHAIR]
    assert told_chair and "working-group or CSP chair" in told_chair[0].args["text"]
    # The admin who set it up is told what was made, where they did it.
    summary = [c for m in ("chat.postMessage", "chat.postEphemeral") for c in slack.fake.calls_to(m)
               if c.args.get("user", c.args["channel"]) == ADMIN_ID]
    assert summary, "the admin who set the partnership up was told nothing"

    # A partner proposes the first project; it is posted to the working group's channel.
    slack.slack.command("propose", user_id="U_ALICE", channel_id=WG)
    proposal_form = opened(slack)
    options = [o["value"] for o in blocks_of(proposal_form)["priorities"]["element"]["options"]]
    assert "Rural Crime" in options and len(options) == 7
    response = submit_form(slack, proposal_form, form_values(title="Rural watch",
                                                             priorities=("Rural Crime",)),
                           user_id="U_ALICE")
    assert response.status_code == 200 and not response.get_data(as_text=True)
    assert Proposal.get().title == "Rural watch"
    assert drain(timeout=15)
    posts = slack.fake.calls_to("chat.postMessage")
    assert any(c.args["channel"] == WG and c.args["text"].startswith("New proposal")
               and "Rural watch" in c.args["text"] for c in posts)


def test_only_the_trackers_admins_may_set_up_and_each_refusal_is_recorded(slack, channels):
    channels.invite(WG)
    refused = reply_text(slack.slack.command("setup", user_id="U_ALICE", channel_id=WG))
    assert "Only the tracker's own admins" in refused and "U_ADMIN" in refused
    assert not slack.fake.calls_to("views.open")
    # A form forged (or kept open) by someone else is refused on save as well.
    slack.slack.command("setup", user_id=ADMIN_ID, channel_id=WG)
    form = opened(slack)
    response = submit(slack, form, user_id="U_ALICE", name="Sneaky CSP", allocation="1,000")
    assert response.get_json()["response_action"] == "errors"
    assert "Only the tracker's own admins" in response.get_json()["errors"]["name"]
    assert Partnership.select().count() == 0
    denials = [json.loads(r.after) for r in AuditRecord.select().where(
        (AuditRecord.action == "denied") & AuditRecord.actor.startswith("U_ALICE"))]
    assert [d["attempted"] for d in denials] == ["tried to set up a partnership"] * 2


def test_form_mistakes_are_shown_against_their_fields(slack, channels):
    channels.invite(WG)
    open_year(900_000, name="Southshire CSP", channels=["C0OTHER01"])
    slack.slack.command("setup", user_id=ADMIN_ID, channel_id=WG)
    form = opened(slack)
    response = submit(slack, form, name="Southshire CSP", allocation="5e3", priorities="\n \n",
                      year="2025/27", chairs=[CHAIR], finance=[CHAIR])
    errors = response.get_json()["errors"]
    assert "already a partnership called Southshire CSP" in errors["name"]
    assert "not an amount I can read" in errors["allocation"]
    assert "at least one Community Safety Agreement priority" in errors["priorities"]
    assert "not a financial year" in errors["year"]
    assert "one role in a partnership" in errors["finance"]
    assert Partnership.select().count() == 1 and FinancialYear.select().count() == 1


def test_setup_where_it_cannot_be_done_says_what_to_do_instead(slack, channels):
    open_year(900_000, name="Southshire CSP", channels=["C0OTHER01"])
    channels.invite("C0OTHER01")
    taken = reply_text(slack.slack.command("setup", user_id=ADMIN_ID, channel_id="C0OTHER01"))
    assert "already belongs to Southshire CSP" in taken
    in_dm = reply_text(slack.slack.command("setup", user_id=ADMIN_ID, channel_id="D0ADMIN01"))
    assert "in the channel that will be the working group's" in in_dm
    slack.fake.fail("conversations.info", "channel_not_found")  # a private channel, not invited
    private = reply_text(slack.slack.command("setup", user_id=ADMIN_ID, channel_id="G0PRIVATE1"))
    assert "/invite @CRG Tracker" in private
    assert not slack.fake.calls_to("views.open")


def test_the_app_home_welcomes_newcomers_and_lets_an_admin_set_up(slack, channels):
    def home(user):
        before = len(slack.fake.calls_to("views.publish"))
        slack.slack.event({"type": "app_home_opened", "user": user, "tab": "home",
                           "channel": "D" + user[1:], "event_ts": "1715000000.000100"})
        return slack.fake.wait_for("views.publish", count=before + 1)[-1].arg("view")

    partner = json.dumps(home("U_ALICE"))
    assert "Crime Reduction Grant" in partner and "No partnership has been set up" in partner
    assert "Ask U_ADMIN" in partner and "setup_start" not in partner
    admin = home(ADMIN_ID)
    assert "setup_start" in json.dumps(admin)

    slack.slack.action("setup_start", user_id=ADMIN_ID, view={"id": "V0HOME01", "type": "home"})
    picker = opened(slack)
    assert picker["callback_id"] == "setup_channel"
    assert blocks_of(picker)["channel"]["element"]["type"] == "conversations_select"
    not_yet = submit(slack, picker, channel=WG).get_json()
    assert not_yet["response_action"] == "errors" and "/invite @CRG Tracker" in not_yet["errors"][
        "channel"]
    channels.invite(WG)
    going = submit(slack, picker, channel=WG).get_json()
    assert going["response_action"] == "update"
    assert going["view"]["callback_id"] == "setup_partnership" and WG in json.dumps(going["view"])

    slack.slack.action("setup_start", user_id="U_ALICE", view={"id": "V0HOME02", "type": "home"})
    assert drain(timeout=15)
    dm = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == "U_ALICE"]
    assert dm and "Only the tracker's own admins" in dm[-1].args["text"]


def test_an_admin_opens_the_next_year_from_slack(slack, channels):
    year = open_year(3_966_100, name="Northshire CSP", channels=[WG])
    people.grant(ADMIN, year.partnership_id, "U0TEAM01", "admin")
    people.grant(ADMIN, year.partnership_id, CHAIR, "chair")
    refused = reply_text(slack.slack.command("year open", user_id=CHAIR, channel_id=WG))
    assert "Only a community safety team admin can open a financial year" in refused
    assert AuditRecord.select().where((AuditRecord.action == "denied")
                                      & AuditRecord.actor.startswith(CHAIR)).count() == 1

    slack.slack.command("year open", user_id="U0TEAM01", channel_id=WG)
    form = opened(slack)
    fields = blocks_of(form)
    assert fields["year"]["element"]["initial_value"] == "2025/26"  # the one after 2024/25
    assert fields["priorities"]["element"]["initial_value"].splitlines() == list(DEFAULT_PRIORITIES)
    assert "upfront £30,000" in type_allocation(slack, form, "45001", user_id="U0TEAM01")
    again = submit(slack, form, user_id="U0TEAM01", year="2024/25", allocation="45,001")
    assert "already has a 2024/25 year" in again.get_json()["errors"]["year"]
    response = submit(slack, form, user_id="U0TEAM01", allocation="45,001")
    assert response.get_data() == b""
    opened_year = find_year(year.partnership_id, "2025/26")
    assert (opened_year.upfront_pence, opened_year.tactical_pence) == (3_000_000, 1_500_100)


def test_an_admin_links_another_channel_typed_in_it(slack, channels):
    year = open_year(900_000, name="Northshire CSP", channels=[WG])
    people.grant(ADMIN, year.partnership_id, "U0TEAM01", "admin")
    people.grant(ADMIN, year.partnership_id, CHAIR, "chair")
    told = reply_text(slack.slack.command("channel link", user_id="U0TEAM01", channel_id="C0NEWWG1"))
    assert "/invite @CRG Tracker" in told
    channels.invite("C0NEWWG1")
    refused = reply_text(slack.slack.command("channel link", user_id=CHAIR, channel_id="C0NEWWG1"))
    assert "Only a community safety team admin can link a channel" in refused
    linked = reply_text(slack.slack.command("channel link working-group", user_id="U0TEAM01",
                                            channel_id="C0NEWWG1"))
    assert "now linked to Northshire CSP as its working-group channel" in linked
    assert {c.slack_channel_id: c.is_working_group for c in Channel.select()} == {
        WG: False, "C0NEWWG1": True}
    assert "already linked" in reply_text(slack.slack.command(
        "channel link", user_id="U0TEAM01", channel_id="C0NEWWG1"))
