"""The admins' "Send it again" button on the reminder clock's alerts, end to end.

The clock sweeps against the same fake Slack Web API the app talks to, so an alert it sends is
the one an admin clicks, through a signed block_actions request into the real app; the next
sweep then shows whether the message went out, and how many times.
"""
import threading
from datetime import datetime

import pytest

from backend.domain import times
from backend.domain.audit import DENIED
from backend.domain.outbox import states
from backend.domain.outbox.owners import Owner
from backend.domain.outbox.states import SWEEP_MINUTES
from backend.domain.reminders import NO_CHANNEL
from backend.slack import alert_messages
from backend.slack.text import mention
from bot.background import drain
from bot.context import actor_for
from jobs.clock import clock_client
from jobs.sweep import sweep
from models import AuditRecord, Member, OutboxMessage, database
from tests.slack.ids import dm_channel_id
from tests.test_reminders import WG, _claim_for_dead_clock, add, at, quiet_year, texts

ADMIN = "U_ADMIN"  # in ADMIN_SLACK_IDS (the `slack` fixture's settings)
TEAM = "U0TEAM001"  # a member with the admin role
LEAD = "U0LEAD001"  # a project lead, who gets DM reminders
CHAIR, BOB = "U0CHAIR01", "U_BOB"
ACTION = alert_messages.RESEND_ACTION


class Clock:
    """The reminder clock, swept by hand against the app's fake Slack."""

    def __init__(self, harness):
        self.harness = harness
        self.client = clock_client(harness.settings)
        self.owner = Owner().start()

    def at(self, now):
        before = len(self.harness.fake.calls)
        sweep(self.client, self.harness.settings, now, self.owner)
        return [c for c in self.harness.fake.calls[before:] if c.method == "chat.postMessage"]


@pytest.fixture
def clockwork(slack, frozen_now):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    work = Clock(slack)
    yield work
    work.owner.close()


def _admin(year, user, role="admin"):
    Member.create(partnership=year.partnership_id, slack_user_id=user, role=role,
                  granted_by="tests", granted_at=datetime(2024, 4, 1))


def failed_reminder(clockwork, title="Spend by the end of March"):
    """A channel reminder Slack refused for good (the bot is not in the channel): the admins
    (TEAM, and ADMIN by ADMIN_SLACK_IDS) are sent an alert."""
    year = quiet_year()
    _admin(year, TEAM)
    add(year, title, datetime(2024, 6, 19, 17, 0))
    clockwork.harness.fake.fail("chat.postMessage", "not_in_channel")
    sent = clockwork.at(at(2024, 6, 12))
    message = OutboxMessage.get((OutboxMessage.purpose == "reminder")
                                  & (OutboxMessage.partnership == year.partnership_id))
    assert message.state == "failed"
    assert sorted(c.args["channel"] for c in sent if c.answered == "ok") == sorted([ADMIN, TEAM])
    return year, message


def alert_to(user) -> OutboxMessage:
    return (OutboxMessage.select().where((OutboxMessage.purpose == "alert")
                                           & (OutboxMessage.recipient == user))
            .order_by(OutboxMessage.id.desc()).get())


def buttons(blocks) -> dict[int, dict]:
    """The alert's "Send it again" buttons, by the message each sends again."""
    return {int(e["value"]): e for b in blocks if b["type"] == "actions"
            for e in b["elements"] if e["action_id"] == ACTION}


def click(harness, user, value, *, alert=None):
    """`user` presses the button in their DM (on `alert`, if they have one)."""
    response = harness.slack.action(ACTION, str(value), user_id=user,
                                    channel_id=dm_channel_id(user),
                                    message_ts=alert.ts if alert else None)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert drain(timeout=15)
    return response


def told(harness, user) -> list[str]:
    return [c.args["text"] for c in harness.fake.calls_to("chat.postEphemeral")
            if c.args["user"] == user]


def block_kit_problems(blocks: list[dict]) -> list[str]:
    """What Slack would refuse (`invalid_blocks`) in a message's blocks: the limits documented
    in the Block Kit reference for the block and element types the alerts use."""
    problems = []
    if not 1 <= len(blocks) <= 50:
        problems.append(f"{len(blocks)} blocks (1 to 50)")
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(ids) != len(set(ids)):
        problems.append("block_id repeated")
    problems += [f"block_id {i!r} too long" for i in ids if not 0 < len(i) <= 255]

    def text(obj, limit, kinds=("plain_text", "mrkdwn"), where=""):
        if not isinstance(obj, dict) or obj.get("type") not in kinds:
            problems.append(f"{where}: not a {'/'.join(kinds)} text object: {obj!r}")
        elif not 1 <= len(obj.get("text") or "") <= limit:
            problems.append(f"{where}: text of {len(obj.get('text') or '')} characters (max {limit})")

    for n, block in enumerate(blocks):
        where = f"block {n} ({block['type']})"
        if block["type"] == "section":
            text(block["text"], 3000, where=where)
        elif block["type"] == "context":
            if not 1 <= len(block["elements"]) <= 10:
                problems.append(f"{where}: {len(block['elements'])} elements (1 to 10)")
            for element in block["elements"]:
                text(element, 3000, where=where)
        elif block["type"] == "actions":
            if not 1 <= len(block["elements"]) <= 25:
                problems.append(f"{where}: {len(block['elements'])} elements (1 to 25)")
            for e in block["elements"]:
                if e["type"] != "button":
                    problems.append(f"{where}: unexpected {e['type']}")
                    continue
                text(e["text"], 75, ("plain_text",), f"{where} button")
                if not 0 < len(e["action_id"]) <= 255 or len(e.get("value", "")) > 2000:
                    problems.append(f"{where}: action_id or value too long")
                if e.get("style") not in (None, "primary", "danger"):
                    problems.append(f"{where}: style {e['style']!r}")
                confirm = e.get("confirm")
                if confirm is not None:
                    text(confirm["title"], 100, ("plain_text",), f"{where} confirm title")
                    text(confirm["text"], 300, where=f"{where} confirm text")
                    text(confirm["confirm"], 30, ("plain_text",), f"{where} confirm button")
                    text(confirm["deny"], 30, ("plain_text",), f"{where} deny button")
                    if confirm.get("style") not in (None, "primary", "danger"):
                        problems.append(f"{where}: confirm style {confirm['style']!r}")
        else:
            problems.append(f"{where}: a block type the alerts do not use")
    return problems


# --------------------------------------------------------------------------- the alert


def test_each_problem_has_its_button_and_a_warning_fit_for_its_state(slack, clockwork):
    """One sweep leaves a channel reminder failed and a DM in doubt: the admins' alert offers
    each a button whose confirmation says what to do first, and Slack would take it whole."""
    year = quiet_year()
    _admin(year, TEAM)
    doubt = _claim_for_dead_clock(year, at(2024, 6, 12, 8, 30), "sending", recipient=LEAD)
    add(year, "Business cases due", datetime(2024, 6, 19, 17, 0))
    slack.fake.fail("conversations.history", "missing_scope")
    slack.fake.fail("chat.postMessage", "not_in_channel")
    sent = clockwork.at(at(2024, 6, 12))
    failed = OutboxMessage.get((OutboxMessage.purpose == "reminder") & (OutboxMessage.recipient == WG))
    assert (failed.state, OutboxMessage.get_by_id(doubt.id).state) == ("failed", "in_doubt")

    alerts = [c for c in sent if c.args["channel"] in (ADMIN, TEAM)]
    assert len(alerts) == 2 and all(c.answered == "ok" for c in alerts)
    for alert in alerts:
        blocks = alert.arg("blocks")
        assert block_kit_problems(blocks) == []
        offered = buttons(blocks)
        assert set(offered) == {failed.id, doubt.id}
        for mid, button in offered.items():
            assert button["text"]["text"] == "Send it again" and button["value"] == str(mid)
            # the button sits right under the problem it is about
            place = next(n for n, b in enumerate(blocks) if b.get("block_id") == f"{ACTION}_{mid}")
            assert f"Message {mid} to" in blocks[place - 1]["text"]["text"]
        in_doubt = offered[doubt.id]["confirm"]
        assert "may already have arrived" in in_doubt["text"]["text"]
        assert "Check with the person (it was a DM) first" in in_doubt["text"]["text"]
        assert "second time" in in_doubt["text"]["text"] and in_doubt["style"] == "danger"
        refused = offered[failed.id]["confirm"]["text"]["text"]
        assert "Fix the cause first" in refused and "the bot is in the channel" in refused
        said = texts(alert)  # the command line stays, for those who have it
        assert f"crg clock --resend {failed.id}" in said and f"crg clock --resend {doubt.id}" in said
        assert "may or may not have arrived" in said
    slack.no_violations()

    # TEAM sends the failed one again: the other button stays on both alerts; then ADMIN sends
    # the in-doubt one, and neither alert offers a button any more.
    click(slack, TEAM, failed.id, alert=alert_to(TEAM))
    first = slack.fake.calls_to("chat.update")
    assert len(first) == 2 and all(set(buttons(c.arg("blocks"))) == {doubt.id} for c in first)
    click(slack, ADMIN, doubt.id, alert=alert_to(ADMIN))
    second = slack.fake.calls_to("chat.update")[2:]
    assert sorted(c.args["channel"] for c in second) == sorted(map(dm_channel_id, (ADMIN, TEAM)))
    for update in second:
        assert buttons(update.arg("blocks")) == {} and block_kit_problems(update.arg("blocks")) == []
        assert f"Message {failed.id} is already queued" in texts(update)
        assert f"{mention(ADMIN)} asked for it to be sent again" in texts(update)
    assert {m.state for m in OutboxMessage.select().where(
        OutboxMessage.id.in_([failed.id, doubt.id]))} == {"retry"}


def test_a_long_list_of_problems_fits_slacks_limits_and_leaves_none_out():
    """Each problem is a section and a button, never split; those that do not fit in 50 blocks
    are named by id in the last one, so no problem goes unmentioned."""
    long_error = "&<>" * 300  # escaped, it triples: still within the section's limit
    problems = [(n, WG if n % 3 else f"U{n:04d}", "in_doubt" if n % 2 else "failed", long_error,
                 "A reminder " * 200) for n in range(1, 61)]
    problems.insert(5, (999, NO_CHANNEL, "failed", "no_working_group_channel", "Nowhere to go"))
    text, blocks = alert_messages.render_alert("A partnership with a long name " * 10, problems)
    assert block_kit_problems(blocks) == [] and len(blocks) >= 48
    shown = alert_messages.resend_ids(blocks)
    assert 999 not in shown  # no channel to send it to: a button could only fail again
    listed = blocks[-1]["text"]["text"]
    left_out = [p[0] for p in problems if p[0] not in shown and p[0] != 999]
    assert left_out and all(f" {mid}," in listed or f" {mid}." in listed for mid in left_out)
    assert "crg clock --resend ID" in listed
    for mid in shown:
        place = next(n for n, b in enumerate(blocks) if b.get("block_id") == f"{ACTION}_{mid}")
        assert f"Message {mid} to" in blocks[place - 1]["text"]["text"]
    assert "could not deliver 61 message(s)" in text


# --------------------------------------------------------------------------- clicking it


def test_an_admins_click_queues_it_and_the_next_sweep_sends_it_once(slack, clockwork):
    year, message = failed_reminder(clockwork)
    posted = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == TEAM]
    value = buttons(posted[-1].arg("blocks"))[message.id]["value"]  # what Slack shows TEAM
    click(slack, TEAM, value, alert=alert_to(TEAM))

    queued = OutboxMessage.get_by_id(message.id)
    assert (queued.state, queued.attempts) == ("retry", 0)  # as `crg clock --resend` leaves it
    record = AuditRecord.get(AuditRecord.action == "clock.resend")
    assert record.actor.startswith(TEAM) and record.entity == "outbox_message"
    assert (record.entity_id, record.partnership_id) == (message.id, year.partnership_id)
    assert '"state": "failed"' in record.before and '"state": "retry"' in record.after

    # Every admin's alert now says it is queued, in place, and offers it no more.
    updates = slack.fake.calls_to("chat.update")
    assert sorted((c.args["channel"], c.args["ts"]) for c in updates) == sorted(
        (dm_channel_id(user), alert_to(user).ts) for user in (ADMIN, TEAM))
    for update in updates:
        assert buttons(update.arg("blocks")) == {}
        said = texts(update)
        assert f"<@{TEAM}> asked for it to be sent again" in said
        assert f"Message {message.id} is queued to be sent again" in said
        assert f"within {SWEEP_MINUTES} minutes" in said
    assert told(slack, TEAM) == []  # their own alert says so

    sent = clockwork.at(at(2024, 6, 12, 9, 5))
    assert [(c.args["channel"], c.answered) for c in sent] == [(WG, "ok")]
    assert "Spend by the end of March" in texts(sent[0])
    assert OutboxMessage.get_by_id(message.id).state == "delivered"
    assert clockwork.at(at(2024, 6, 12, 9, 10)) == []  # and never again


def test_someone_without_the_admin_role_is_refused_and_it_is_audited(slack, clockwork):
    year, message = failed_reminder(clockwork)
    _admin(year, CHAIR, role="chair")
    for user, role in ((BOB, "a partner"), (CHAIR, "a working-group or CSP chair")):
        click(slack, user, message.id)
        assert told(slack, user) == [
            "Only a community safety team admin can send a reminder clock message again; you "
            f"are {role} in this partnership."]
        denied = AuditRecord.get((AuditRecord.action == DENIED)
                                 & AuditRecord.actor.startswith(user))
        assert (denied.entity, denied.entity_id) == ("outbox_message", message.id)
        assert denied.partnership_id == year.partnership_id and "tried to send a reminder clock message again" in denied.after
    unchanged = OutboxMessage.get_by_id(message.id)
    assert (unchanged.state, unchanged.attempts) == ("failed", message.attempts)
    assert slack.fake.calls_to("chat.update") == []
    assert not AuditRecord.select().where(AuditRecord.action == "clock.resend").exists()
    assert clockwork.at(at(2024, 6, 12, 9, 5)) == []  # nothing was queued


def test_a_second_click_is_told_it_is_already_queued(slack, clockwork):
    _, message = failed_reminder(clockwork)
    click(slack, TEAM, message.id, alert=alert_to(TEAM))
    updates = len(slack.fake.calls_to("chat.update"))
    click(slack, ADMIN, message.id, alert=alert_to(ADMIN))  # an old copy of the alert, say
    click(slack, TEAM, message.id, alert=alert_to(TEAM))  # a double click
    for user in (ADMIN, TEAM):
        assert told(slack, user) == [f"Message {message.id} is already queued to be sent again: "
                                     f"it goes out at the clock's next sweep, within "
                                     f"{SWEEP_MINUTES} minutes."]
    assert len(slack.fake.calls_to("chat.update")) == updates
    assert AuditRecord.select().where(AuditRecord.action == "clock.resend").count() == 1
    assert OutboxMessage.get_by_id(message.id).state == "retry"
    assert len([c for c in clockwork.at(at(2024, 6, 12, 9, 5)) if c.args["channel"] == WG]) == 1


def test_two_admins_at_the_same_moment_queue_it_once(slack, clockwork):
    _, message = failed_reminder(clockwork)
    start, outcomes = threading.Barrier(2), []

    def one(user):
        try:
            start.wait()
            outcomes.append(states.resend(actor_for(user, user, slack.settings), message.id))
        except Exception as refusal:  # noqa: BLE001 - the loser's refusal is the point
            outcomes.append(refusal)
        finally:
            if not database.is_closed():
                database.close()

    threads = [threading.Thread(target=one, args=(user,)) for user in (ADMIN, TEAM)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    won = [o for o in outcomes if isinstance(o, states.Resent)]
    lost = [str(o) for o in outcomes if not isinstance(o, states.Resent)]
    assert len(won) == 1 and lost == [states.moved_on(message.id, "retry", None)]
    assert AuditRecord.select().where(AuditRecord.action == "clock.resend").count() == 1


def test_a_message_delivered_meanwhile_is_not_sent_again(slack, clockwork, crg):
    _, message = failed_reminder(clockwork)
    out = crg("clock", "--resend", str(message.id))  # someone at the command line was quicker
    assert f"Message {message.id} to {WG} will be sent again by the next sweep." in out
    assert AuditRecord.get(AuditRecord.action == "clock.resend").actor.startswith("cli:")
    assert [c.args["channel"] for c in clockwork.at(at(2024, 6, 12, 9, 5))] == [WG]
    delivered = OutboxMessage.get_by_id(message.id)

    click(slack, TEAM, message.id, alert=alert_to(TEAM))
    assert told(slack, TEAM) == [
        f"Message {message.id} was delivered on {times.show_weekday(delivered.delivered_at)}, so it "
        "is not sent again."]
    assert OutboxMessage.get_by_id(message.id).state == "delivered"
    assert clockwork.at(at(2024, 6, 12, 9, 10)) == []
    assert AuditRecord.select().where(AuditRecord.action == "clock.resend").count() == 1
    assert "is not sent again" in crg("clock", "--resend", str(message.id), ok=False)


def test_a_forged_message_id_is_refused_plainly(slack, clockwork):
    year, message = failed_reminder(clockwork)
    for value, shown in (("999999", "999999"), ("12; DROP TABLE", "0"), ("9" * 40, "0")):
        click(slack, TEAM, value)
        assert told(slack, TEAM)[-1] == f"There is no clock message {shown}."
    # A real message of a partnership TEAM is no admin of: refused, and kept in the audit trail.
    elsewhere = quiet_year(channels=("C0ELSEWHERE",))
    add(elsewhere, "Someone else's", datetime(2024, 6, 19, 17, 0))
    slack.fake.fail("chat.postMessage", "channel_not_found")
    clockwork.at(at(2024, 6, 12, 9, 5))
    theirs = OutboxMessage.get((OutboxMessage.purpose == "reminder")
                                 & (OutboxMessage.partnership == elsewhere.partnership_id))
    assert theirs.state == "failed"
    click(slack, TEAM, theirs.id)
    assert told(slack, TEAM)[-1].startswith("Only a community safety team admin can")
    denied = AuditRecord.get(AuditRecord.action == DENIED)
    assert (denied.entity_id, denied.partnership_id) == (theirs.id, elsewhere.partnership_id)
    assert {m.state for m in OutboxMessage.select().where(
        OutboxMessage.id.in_([message.id, theirs.id]))} == {"failed"}
    assert not AuditRecord.select().where(AuditRecord.action == "clock.resend").exists()
