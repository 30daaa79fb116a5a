"""The shortlisting exercise end to end through signed Slack requests, on both databases: scoring
opened from the agenda's button, members scoring from their DMs (two at once, one changing a
score, one refused outside the scale, one declaring a conflict), the chair's progress view and
reminder, nobody seeing a score before the close, and the ranked agenda with the money line."""
import json
import threading
from datetime import timedelta

from backend.domain import meetings, people, times
from bot.background import drain
from models import AuditRecord, Proposal, Score, ScoreSheet
from tests.builders import ADMIN
from tests.conftest import SIGNING_SECRET
from tests.slack.ids import dm_channel_id
from tests.slack.requests import SlackClient, plain_text
from tests.slack_flows import WG, partnership, propose, texts_to
from tests.test_slack_decisions import ephemeral_text, wait

CHAIR, MEM1, MEM2, PARTNER = "U0CHAIR", "U0MEM1", "U0MEM2", "U_ALICE"


def buttons(call) -> list[dict]:
    """Every button of a message: in actions blocks and as section accessories."""
    found = []
    for block in call.args.get("blocks") or []:
        if block["type"] == "actions":
            found += block["elements"]
        elif (block.get("accessory") or {}).get("type") == "button":
            found.append(block["accessory"])
    return found


def messages_to(fake, user):
    return [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == user]


def setting_up(slack):
    year = partnership(900_000)  # upfront £6,000
    pid = year.partnership_id
    text = ephemeral_text(slack.slack.command(f"role <@{MEM1}|mo> member", user_id="U_ADMIN",
                                              channel_id=WG))
    assert "is now a working-group member" in text
    people.grant(ADMIN, pid, MEM2, "member")
    people.grant(ADMIN, pid, CHAIR, "chair")
    held = times.to_local(times.now()).replace(tzinfo=None) + timedelta(days=10)
    meetings.schedule(ADMIN, year.id, held, held - timedelta(days=3), "April working group")
    propose(slack, title="Safer streets", amount="2,500")
    propose(slack, title="Speed signs", amount="2,000")
    propose(slack, title="CPD event", amount="2,000", user_id=MEM2)
    wait(lambda: Proposal.select().where(Proposal.post_ts != "").count() == 3)
    assert "Posting 3 agenda items" in ephemeral_text(
        slack.slack.command("agenda", user_id=CHAIR, channel_id=WG))
    return year


def dm_updates(slack, user):
    return [c for c in slack.fake.calls_to("chat.update")
            if c.args.get("channel") == dm_channel_id(user)]


def score_button(slack, user, ref):
    """The Score button of `ref` in the user's latest scoring DM."""
    dm = wait(lambda: [c for c in messages_to(slack.fake, user) if c.args.get("blocks")
                       and "Scoring is open" in (c.args.get("text") or "")])[-1]
    for block in dm.args["blocks"]:
        if ref in json.dumps(block) and block.get("accessory"):
            return block["accessory"]
    raise AssertionError(f"no Score button for {ref} in {user}'s DM")


def opened(slack, user, ref, client=None):
    button = score_button(slack, user, ref)
    before = len(slack.fake.calls_to("views.open"))
    (client or slack.slack).action(button["action_id"], button["value"], user_id=user,
                                   channel_id=f"D{user}")
    return wait(lambda: slack.fake.calls_to("views.open")[before:])[-1].arg("view")


def answers(view, *scores, comment="", conflict=False):
    inputs = [b["block_id"] for b in view["blocks"] if b.get("type") == "input"]
    criteria = [b for b in inputs if b.startswith("criterion_")]
    values = {block: {"value": plain_text(str(score))} for block, score in zip(criteria, scores)}
    values["comment"] = {"value": plain_text(comment or None)}
    values["conflict"] = {"value": {"type": "checkboxes", "selected_options": [
        {"value": "conflict", "text": {"type": "mrkdwn", "text": "x"}}] if conflict else []}}
    return values


def submit(slack, user, view, *scores, client=None, **kw):
    return (client or slack.slack).submit_view(view["callback_id"], answers(view, *scores, **kw),
                                               user_id=user,
                                               private_metadata=view["private_metadata"])


def test_the_whole_shortlisting_exercise_in_slack(slack):
    setting_up(slack)
    header = wait(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                           if (c.args.get("text") or "").startswith("*Agenda:")])[0]
    open_button = [b for b in buttons(header) if b["action_id"] == "scoring_open"][0]
    slack.slack.action("scoring_open", open_button["value"], user_id=PARTNER, channel_id=WG)
    assert drain(timeout=15)
    assert "Only a working-group or CSP chair" in texts_to(slack.fake, PARTNER,
                                                           "chat.postEphemeral")[-1]
    slack.slack.action("scoring_open", open_button["value"], user_id=CHAIR, channel_id=WG)
    wait(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                  if c.args["channel"] == WG and "Scoring is open" in c.args["text"]])
    for member in (MEM1, MEM2, CHAIR):
        score_button(slack, member, "CRG-2024/25-001")
    dm = [c for c in messages_to(slack.fake, MEM2) if c.args.get("blocks")
          and "Scoring is open" in c.args["text"]][-1]
    assert "you do not score it" in json.dumps(dm.args["blocks"])  # their own proposal

    # Out of the scale: refused against the input, on record, nothing kept.
    view = opened(slack, MEM1, "CRG-2024/25-001")
    assert [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"][:2] == [
        "Fit with the Community Safety Agreement priorities", "Evidence of need"]
    refused = submit(slack, MEM1, view, 7, 3, 3, 3, 3).get_json()
    first = [b["block_id"] for b in view["blocks"] if b["type"] == "input"][0]
    assert refused["response_action"] == "errors"
    assert "7 is outside the scale" in refused["errors"][first]
    assert Score.select().count() == 0
    assert AuditRecord.select().where(AuditRecord.after.contains("outside the scale")).count() == 1

    # Two members score at once.
    views = {MEM1: opened(slack, MEM1, "CRG-2024/25-001"), MEM2: opened(slack, MEM2,
                                                                        "CRG-2024/25-001")}
    barrier, answered = threading.Barrier(2), {}

    def member(user, scores):
        client = SlackClient(slack.app.test_client(), SIGNING_SECRET, fake=slack.fake)
        barrier.wait()
        answered[user] = submit(slack, user, views[user], *scores, client=client,
                                comment=f"from {user}")

    threads = [threading.Thread(target=member, args=(MEM1, (5, 5, 5, 5, 5))),
               threading.Thread(target=member, args=(MEM2, (3, 3, 3, 3, 3)))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all(r.status_code == 200 and not r.get_data() for r in answered.values())
    assert ScoreSheet.select().count() == 2 and Score.select().count() == 10

    # A member changes their score: it replaces the first, never counts twice.
    view = opened(slack, MEM1, "CRG-2024/25-001")
    assert [b["element"].get("initial_value") for b in view["blocks"]
            if b.get("block_id", "").startswith("criterion_")] == ["5"] * 5  # theirs alone
    assert submit(slack, MEM1, view, 4, 4, 4, 4, 4, comment="On reflection").status_code == 200
    assert ScoreSheet.select().count() == 2 and Score.select().count() == 10
    assert AuditRecord.select().where(AuditRecord.action == "scoring.rescore").count() == 1
    wait(lambda: any("Your scores of CRG-2024/25-001 are saved (Fit with the Community Safety "
                     "Agreement priorities 4," in t for t in texts_to(slack.fake, MEM1)))
    # The DM says what they have scored: its button for 001 now reads "Change score".
    updated = wait(lambda: dm_updates(slack, MEM1))[-1]
    labels = {b["text"]["text"].split("*")[1]: b["accessory"]["text"]["text"]
              for b in updated.args["blocks"] if b.get("accessory")}
    assert labels == {"CRG-2024/25-001": "Change score", "CRG-2024/25-002": "Score",
                      "CRG-2024/25-003": "Score"}
    assert "Scoring is open" in json.dumps(updated.args["blocks"])  # its words kept

    slack.slack.event({"type": "app_home_opened", "user": MEM1, "tab": "home",
                       "channel": f"D{MEM1}", "event_ts": "1.2"})
    home = json.dumps(slack.fake.wait_for("views.publish")[-1].arg("view"), ensure_ascii=False)
    assert "2 proposals left for you to score" in home and "Change score" in home
    submit(slack, MEM1, opened(slack, MEM1, "CRG-2024/25-002"), 5, 5, 5, 5, 4)
    submit(slack, MEM2, opened(slack, MEM2, "CRG-2024/25-002"), 0, 0, 0, 0, 0, conflict=True)
    submit(slack, CHAIR, opened(slack, CHAIR, "CRG-2024/25-003"), 2, 2, 2, 2, 2)
    submit(slack, MEM1, opened(slack, MEM1, "CRG-2024/25-003"), 2, 2, 2, 2, 2)

    # Before the close: counts, never scores, anywhere.
    wait(lambda: [c for c in slack.fake.calls_to("chat.update")
                  if "2 scores in so far" in json.dumps(c.args.get("blocks"))])
    shown = slack.slack.command("show CRG-2024/25-001", user_id=CHAIR, channel_id=WG).get_json()
    assert "Scores for" not in json.dumps(shown)
    progress = slack.slack.command("scoring", user_id=CHAIR, channel_id=WG).get_json()
    said = json.dumps(progress["blocks"])
    assert "2 of 3 members and chairs have scored everything" in said
    assert f"<@{CHAIR}>: 1 scored, *2 still to score*" in said and "4.00" not in said
    remind = [e for b in progress["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == "scoring_remind"][0]
    slack.slack.action("scoring_remind", remind["value"], user_id=CHAIR, channel_id=WG)
    reminders = wait(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                              if (c.args.get("text") or "").startswith("Reminder: scoring")])
    assert [c.args["channel"] for c in reminders] == [CHAIR]

    # Closing: the ranked agenda, each post's figures, the chair's money line.
    assert ephemeral_text(slack.slack.command("scoring close", user_id=MEM1,
                                              channel_id=WG)).startswith("Only a working-group")
    slack.slack.command("scoring close", user_id=CHAIR, channel_id=WG)
    ranked = wait(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                           if c.args["channel"] == WG and "ranked agenda" in c.args["text"]])
    lines = json.dumps(ranked[0].args["blocks"], ensure_ascii=False)
    # 002: 4.80 (one score); 001: (4 + 3) / 2 = 3.50; 003: 2.00.
    assert lines.index("CRG-2024/25-002") < lines.index("CRG-2024/25-001") < lines.index(
        "CRG-2024/25-003")
    assert "mean 4.80 of 5 · spread 0.00 · 1 score, 1 not in, 1 conflict" in lines
    assert "mean 3.50 of 5 · spread 1.00 · 2 scores, 1 not in" in lines
    chair = wait(lambda: [c for c in messages_to(slack.fake, CHAIR)
                          if c.args["text"].startswith("Ranking for")])
    assert ("The top two fit in £4,500; the third would take it to £6,500 (the upfront pot has "
            "£6,000 left).") in chair[0].args["text"]
    wait(lambda: [c for c in slack.fake.calls_to("chat.update")
                  if "ranked 1 of 3 · mean 4.80" in json.dumps(c.args.get("blocks"),
                                                               ensure_ascii=False)])
    # Every member's DM now says scoring closed, with no button left to press.
    for member in (MEM1, MEM2, CHAIR):
        closed = wait(lambda m=member: [c for c in dm_updates(slack, m)
                                        if "closed on" in json.dumps(c.args["blocks"])])
        assert not buttons(closed[-1])
    late = submit(slack, MEM2, views[MEM2], 1, 1, 1, 1, 1).get_json()
    assert "closed on" in json.dumps(late["errors"])
    shown = json.dumps(slack.slack.command("show CRG-2024/25-001", user_id=PARTNER,
                                           channel_id=WG).get_json(), ensure_ascii=False)
    assert "Scores for April working group" in shown and "On reflection" in shown
    assert f"<@{MEM2}>: Fit with the Community Safety Agreement priorities 3" in shown


def test_the_criteria_and_scoring_commands_refuse_in_words(slack):
    setting_up(slack)
    said = ephemeral_text(slack.slack.command("scoring", user_id=MEM1, channel_id=WG))
    assert "Scoring is not open" in said and "1. Fit with the Community Safety" in said
    said = ephemeral_text(slack.slack.command("scoring criteria weight 3 2", user_id=CHAIR,
                                              channel_id=WG))
    assert said.startswith("Only a community safety team admin can change the scoring criteria")
    said = ephemeral_text(slack.slack.command("scoring criteria weight 3 2", user_id="U_ADMIN",
                                              channel_id=WG))
    assert "3. Value for money · 0–5 · weight 2" in said
    said = ephemeral_text(slack.slack.command("scoring criteria scale 0-99", user_id="U_ADMIN",
                                              channel_id=WG))
    assert "from 1 to 10" in said
    said = ephemeral_text(slack.slack.command("scoring criteria scale -1-5", user_id="U_ADMIN",
                                              channel_id=WG))
    assert "The lowest score must be from 0 to" in said and "-1 is outside" in said
    said = ephemeral_text(slack.slack.command("scoring close", user_id=CHAIR, channel_id=WG))
    assert "Scoring is not open for any meeting" in said
    slack.slack.command("scoring open", user_id=CHAIR, channel_id=WG)
    wait(lambda: [t for t in texts_to(slack.fake, CHAIR) + texts_to(slack.fake, CHAIR,
                                                                     "chat.postEphemeral")
                  if "members and chairs have been sent" in t])
    said = ephemeral_text(slack.slack.command("scoring open", user_id=CHAIR, channel_id=WG))
    assert said == "Scoring for April working group is already open."
    slack.slack.action("scoring_score", json.dumps({"r": 1, "p": 1}), user_id=PARTNER,
                       channel_id=WG)
    assert drain(timeout=15)
    refused = texts_to(slack.fake, PARTNER, "chat.postEphemeral")[-1]
    assert "Only working-group members and chairs score" in refused
    assert "`/crg role @person member`" in refused  # and what to do about it
    slack.slack.action("scoring_score", json.dumps({"r": 1, "p": 3}), user_id=MEM2,
                       channel_id=WG)
    assert drain(timeout=15)
    assert "conflict of interest" in texts_to(slack.fake, MEM2, "chat.postEphemeral")[-1]


def test_forged_buttons_and_forms_change_nothing(slack):
    setting_up(slack)
    slack.slack.command("scoring open", user_id=CHAIR, channel_id=WG)
    for value in ("not json", json.dumps({"r": 99, "p": 1}), json.dumps({"r": "1; drop", "p": 1})):
        slack.slack.action("scoring_score", value, user_id=MEM1, channel_id=WG)
    assert drain(timeout=15)
    said = texts_to(slack.fake, MEM1, "chat.postEphemeral") + texts_to(slack.fake, MEM1)
    assert sum("That scoring round does not exist." in t for t in said) == 3
    view = opened(slack, MEM1, "CRG-2024/25-001")
    forged = slack.slack.submit_view(view["callback_id"], answers(view, 1, 1, 1, 1, 1),
                                     user_id=MEM1, private_metadata='{"r": 1, "p": 42}')
    assert "not on the agenda" in json.dumps(forged.get_json()["errors"])
    wide = submit(slack, MEM1, view, "４", 1, 1, 1, 1).get_json()  # a full-width digit
    assert "must be a whole number from 0 to 5" in json.dumps(wide["errors"], ensure_ascii=False)
    nul = submit(slack, MEM1, view, 1, 1, 1, 1, 1, comment="bad\x00byte").get_json()
    assert "control character" in nul["errors"]["comment"]
    long = submit(slack, MEM1, view, 1, 1, 1, 1, 1, comment="x" * 3001).get_json()
    assert "3,000 characters" in long["errors"]["comment"]
    assert Score.select().count() == 0 and ScoreSheet.select().count() == 0
    progress = slack.slack.command("scoring", user_id=CHAIR, channel_id=WG).get_json()
    close = [e for b in progress["blocks"] if b["type"] == "actions" for e in b["elements"]
             if e["action_id"] == "scoring_close"][0]
    assert close["confirm"]["title"]["text"] == "Close scoring?"
    slack.slack.action("scoring_close", close["value"], user_id=MEM1, channel_id=WG)
    slack.slack.action("scoring_close", close["value"], user_id=CHAIR, channel_id=WG)
    wait(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                  if c.args["channel"] == WG and "ranked agenda" in c.args["text"]])
    assert drain(timeout=15)
    refused = texts_to(slack.fake, MEM1, "chat.postEphemeral") + texts_to(slack.fake, MEM1)
    assert any(t.startswith("Only a working-group or CSP chair") for t in refused)
    denied = AuditRecord.select().where(AuditRecord.action == "denied").count()
    assert denied >= 2
