"""`/crg forecast`, the App Home's forecast and the behind DM's Record spend button, through
signed Slack requests; and `crg forecast` on the command line."""
import json
from datetime import date, datetime

from backend.domain import decisions, people, spend, times
from backend.domain.forecast import profiles
from bot.background import drain
from models import AuditRecord
from tests.builders import ADMIN, submit, to_opcc
from tests.slack.ids import dm_channel_id
from tests.slack_flows import WG, partnership, texts_to

LEAD, FINANCE, PARTNER, CHAIR = "U_PROP", "U0FINANCE", "U_ALICE", "U0CHAIR"
QUARTERLY = {"Q1": "1,000", "Q2": "3,000", "Q3": "3,000", "Q4": "3,000"}


def behind_year():
    """£45,001, two £10,000 projects of LEAD's; the second spent £2,000 by 30 Sep (behind)."""
    year = partnership(4_500_100)
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    people.grant(ADMIN, year.partnership_id, CHAIR, "chair")
    pids = [submit(year, "10,000", title=t, planned_spend=QUARTERLY) for t in ("Walks", "Slow")]
    for pid in pids:
        to_opcc(pid)
        decisions.approve(ADMIN, pid)
    spend.record(ADMIN, pids[0], 400_000, date(2024, 9, 1), "Sessions")
    spend.record(ADMIN, pids[1], 200_000, date(2024, 9, 15), "Late invoice")
    return year, pids


def at_q2_end(monkeypatch):
    monkeypatch.setattr(times, "today_local", lambda: date(2024, 9, 30))


def said(response) -> tuple[str, str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["response_type"] == "ephemeral"
    return body["text"], json.dumps(body.get("blocks") or [], ensure_ascii=False)


def test_finance_and_chairs_see_the_whole_forecast_and_partners_their_own(slack, monkeypatch):
    at_q2_end(monkeypatch)
    behind_year()
    for user in (FINANCE, CHAIR):
        text, blocks = said(slack.slack.command("forecast", user_id=user, channel_id=WG))
        # Uncommitted 45,001 - 20,000 = 25,001; the slow project leaves 5,000: 30,001.
        assert text == "Forecast for Northshire CSP 2024/25: £30,001 likely to be left on 31 March"
        assert "Forecast underspend on 31 March: *£30,001*" in blocks
        assert "spent £2,000 (-50%); forecast £5,000, leaving £5,000 · *behind profile*" in blocks
        assert "pace it has kept so far" in blocks
    text, blocks = said(slack.slack.command("forecast", user_id=PARTNER, channel_id=WG))
    assert text == "Forecast of your projects in 2024/25" and "You lead no funded project" in blocks
    assert "£30,001" not in blocks
    text, blocks = said(slack.slack.command("forecast 2024/25", user_id=LEAD, channel_id=WG))
    assert "CRG-2024/25-002" in blocks and "Forecast underspend" not in blocks
    text, _ = said(slack.slack.command("forecast 2019/20", user_id=FINANCE, channel_id=WG))
    assert "has no 2019/20 year" in text


def test_admins_reprofile_and_set_the_margin_in_slack(slack, monkeypatch):
    at_q2_end(monkeypatch)
    year, (_, slow) = behind_year()
    text, _ = said(slack.slack.command("forecast reprofile CRG-2024/25-002 0 2,000 4,000 3,000",
                                       user_id="U_ADMIN", channel_id=WG))
    assert "Write it as `/crg forecast reprofile REF" in text
    text, _ = said(slack.slack.command("forecast reprofile CRG-2024/25-002 0 2,000 4,000 4,000 "
                                       "OPCC agreed a later start", user_id=FINANCE,
                                       channel_id=WG))
    assert "Only a community safety team admin can re-profile CRG-2024/25-002" in text
    text, _ = said(slack.slack.command("forecast reprofile CRG-2024/25-002 0 2,000 4,000 3,000 "
                                       "late", user_id="U_ADMIN", channel_id=WG))
    assert "add up to £9,000" in text
    text, _ = said(slack.slack.command("forecast reprofile CRG-2024/25-002 0 2,000 4,000 4,000 "
                                       "OPCC agreed a later start", user_id="U_ADMIN",
                                       channel_id=WG))
    assert text.startswith("CRG-2024/25-002 is re-profiled: Q1 £0, Q2 £2,000, Q3 £4,000, Q4 £4,000")
    assert profiles.history(slow)[0].reason == "OPCC agreed a later start"
    _, blocks = said(slack.slack.command("forecast", user_id=FINANCE, channel_id=WG))
    assert "behind profile" not in blocks
    text, _ = said(slack.slack.command("forecast margin 40% £500", user_id="U_ADMIN",
                                       channel_id=WG))
    assert text == ("Done. A project is behind when what it has spent trails what was planned "
                    "by then by more than 40% of the planned amount and by at least £500.")
    text, _ = said(slack.slack.command("forecast margin 140 5", user_id="U_ADMIN", channel_id=WG))
    assert "from 1 to 100" in text
    assert AuditRecord.select().where(AuditRecord.action == "forecast.margin").count() == 1


def test_the_app_home_shows_the_forecast(slack, monkeypatch):
    at_q2_end(monkeypatch)
    behind_year()
    for user, expected in ((FINANCE, "£30,001 likely to be left on 31 March; 1 project behind"),
                           (LEAD, "Your projects' forecast, 2024/25")):
        slack.fake.reset()
        slack.slack.event({"type": "app_home_opened", "user": user, "tab": "home",
                           "channel": dm_channel_id(user), "event_ts": "1.2"})
        view = json.dumps(slack.fake.wait_for("views.publish")[0].arg("view"), ensure_ascii=False)
        assert expected in view


def test_the_record_spend_button_opens_the_form_or_says_why_not(slack, monkeypatch):
    at_q2_end(monkeypatch)
    year, (_, slow) = behind_year()
    slack.slack.action("spend_open", str(slow), user_id=LEAD, channel_id=dm_channel_id(LEAD))
    assert drain(timeout=15)  # said where the button was pressed
    said = texts_to(slack.fake, LEAD, "chat.postEphemeral")
    assert said and said[-1].startswith(
        "Only finance staff or a community safety team admin can record")
    assert slack.fake.calls_to("views.open") == []
    spend.allow_leads_to_record_spend(ADMIN, year.partnership_id, True)
    slack.slack.action("spend_open", str(slow), user_id=LEAD, channel_id=dm_channel_id(LEAD))
    view = slack.fake.wait_for("views.open")[-1].arg("view")
    assert view["callback_id"] == "spend_record"
    assert json.loads(view["private_metadata"])["proposal_id"] == slow


def test_crg_forecast_on_the_command_line(crg, db, frozen_now):
    frozen_now(datetime(2024, 5, 1, 9, 0))
    year, (_, slow) = behind_year()
    out = crg("forecast", "Northshire CSP", "2024/25", "--on", "2024-09-30")
    assert "Forecast underspend on 31 March: £30,001 (£25,001 uncommitted + £5,000" in out
    assert "behind" in out and "pace it has kept so far" in out
    figures = json.loads(crg("forecast", "Northshire CSP", "--on", "2024-09-30", "--json"))
    assert figures["forecast_underspend_pence"] == 3_000_100
    slow_row = next(p for p in figures["projects"] if p["ref"] == "CRG-2024/25-002")
    assert (slow_row["planned_to_date_pence"], slow_row["spent_to_date_pence"],
            slow_row["variance_percent"], slow_row["forecast_pence"], slow_row["behind"]) == (
        400_000, 200_000, -50, 500_000, True)
    assert "All partnerships  2024/25" in crg("forecast", "--all", "2024/25", "--on",
                                               "2024-09-30")
    assert "Give four amounts" in crg("profile", "Northshire CSP", "CRG-2024/25-002", "1", "2",
                                      ok=False)
    out = crg("profile", "Northshire CSP", "CRG-2024/25-002", "0", "2,000", "4,000", "4,000",
              "--reason", "Late start agreed")
    assert "Q1 £0, Q2 £2,000" in out and "Re-profiled by" in out
    assert "at least £300" in crg("behind-margin", "Northshire CSP", "--percent", "30",
                                  "--at-least", "300")
    assert "not a percentage" in crg("behind-margin", "Northshire CSP", "--percent", "x",
                                     ok=False)
    assert "no partnership called" in crg("forecast", "Nowhere", ok=False)
