"""Reminders: what goes out when, to whom, exactly once, through the fake Slack Web API.

Time is injected: every sweep is told its `now`, and the services run on the frozen clock. The
sweeps run on both databases against a FakeSlackAPI over real HTTP.
"""
import json
import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from backend.domain import deadlines, decisions, partnerships, progress, times, years
from backend.domain.actors import Actor
from backend.domain.deadlines import ReminderConfig
from backend.domain.outbox.claims import claim
from backend.domain.outbox.owners import Owner
from backend.domain.outbox.states import MAX_ATTEMPTS, message_key, resend
from backend.domain.reminders import before_occasion
from backend.settings import Settings
from backend.slack.history import metadata_for
from jobs.clock import clock_client, sweep_trigger
from jobs.sweep import sweep
from models import Member, OutboxMessage, Reminder
from tests.builders import ADMIN, approved, submit, to_opcc
from tests.slack.fake_api import FakeSlackAPI

WG = "C_WG"
_names = iter(range(1, 10_000))


def at(y, m, d, hh=9, mm=0) -> datetime:
    """A London wall-clock time as the naive UTC the app uses."""
    return times.from_local(datetime(y, m, d, hh, mm))


def texts(call) -> str:
    """Everything a message says: its text and every text in its blocks."""
    found = [call.args.get("text") or ""]

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(call.arg("blocks"))
    return "\n".join(found)


class Clockwork:
    """Sweeps at chosen moments, remembering which sweep sent what."""

    def __init__(self, fake: FakeSlackAPI, settings: Settings):
        self.fake, self.settings = fake, settings
        self.client = clock_client(settings)  # the clock's own retry policy
        self.owner = Owner().start()
        self.sent: list[tuple[datetime, object]] = []

    def at(self, now: datetime):
        # What the set-up's own changes owe (proposals' posts, decisions' DMs) is the web
        # process's to send (tests/test_outbox.py); here it counts as sent, so each sweep's
        # calls are the clock's alone.
        OutboxMessage.update(state="delivered").where(OutboxMessage.state == "queued").execute()
        before = len(self.fake.calls)
        result = sweep(self.client, self.settings, now, self.owner)
        new = [c for c in self.fake.calls[before:] if c.method == "chat.postMessage"]
        self.sent.extend((now, c) for c in new)
        return new, result

    def days(self, first: date, last: date, times=("08:55", "09:00", "09:05", "12:00", "19:55",
                                                   "20:05")):
        day = first
        while day <= last:
            for t in times:
                hour, minute = map(int, t.split(":"))
                self.at(at(day.year, day.month, day.day, hour, minute))
            day += timedelta(days=1)

    def every(self, start: datetime, end: datetime, step=timedelta(minutes=15)):
        now = start
        while now <= end:
            self.at(now)
            now += step

    def to(self, recipient: str, containing: str = "") -> list[tuple[datetime, object]]:
        return [(now, c) for now, c in self.sent
                if c.args["channel"] == recipient and containing in texts(c)]


@pytest.fixture
def fake():
    with FakeSlackAPI() as api:
        # These tests sweep days and years in seconds of real time, so Slack's limit of about a
        # message a second per channel (which the clock meets with waits and retries, tested in
        # tests/test_outbox.py) would only stretch them; it is left out here.
        api.post_rate = None
        yield api


@pytest.fixture
def clockwork(db, fake, frozen_now):
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=fake.base_url,
                        admin_slack_ids=("U_ADMIN",))
    work = Clockwork(fake, settings)
    yield work
    work.owner.close()
    assert fake.violations == []


def quiet_year(label="2024/25", channels=(WG,), digest=False, **settings):
    """A partnership with an empty deadline template, so only a test's own deadlines exist."""
    name = f"Reminder CSP {next(_names)}"
    partnerships.add_partnership(ADMIN, name, list(channels))
    deadlines.set_template(ADMIN, name, [])
    deadlines.update_settings(ADMIN, name, digest_weekday=None if digest else "none", **settings)
    return years.open_year(ADMIN, name, label, 4_500_100)


def add(year, title, due: datetime, kind="other", **kw):
    return deadlines.add(ADMIN, year.partnership_id, kind, title, due, **kw)


# --------------------------------------------------------------------------- when


def test_each_offset_goes_out_once_at_nine_on_its_day(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    add(year, "Feedback on the plan", datetime(2024, 6, 19, 17, 0))  # a Wednesday
    clockwork.days(date(2024, 5, 30), date(2024, 6, 21))
    sent = clockwork.to(WG, "Feedback on the plan")
    assert [now for now, _ in sent] == [at(2024, 6, 5), at(2024, 6, 12), at(2024, 6, 18),
                                        at(2024, 6, 19)]
    assert ["in 14 days", "in 7 days", "tomorrow", "today"] == [
        next(w for w in ("in 14 days", "in 7 days", "tomorrow", "today") if w in texts(c))
        for _, c in sent]
    assert len(clockwork.sent) == 4 and Reminder.select().count() == 4


def test_weekends_and_bank_holidays_bring_a_reminder_forward(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 10, 12, 0))
    year = quiet_year(offsets="7,1,0")
    add(year, "After the bank holiday", datetime(2024, 5, 28, 12, 0))  # Mon 27 May is one
    add(year, "On a Saturday", datetime(2024, 6, 8, 12, 0))
    clockwork.days(date(2024, 5, 20), date(2024, 6, 10))
    assert [now for now, _ in clockwork.to(WG, "After the bank holiday")] == [
        at(2024, 5, 21), at(2024, 5, 24), at(2024, 5, 28)]
    # The day before and the day itself both fall back to Friday: one reminder, not two.
    saturday = clockwork.to(WG, "On a Saturday")
    assert [now for now, _ in saturday] == [at(2024, 5, 31), at(2024, 6, 7)]
    assert "tomorrow" in texts(saturday[-1][1])


def test_the_clock_changes_neither_skip_nor_double_a_reminder(clockwork, frozen_now):
    frozen_now(datetime(2025, 3, 1, 12, 0))
    year = quiet_year(label="2024/25", offsets="1,0")
    years.open_year(ADMIN, year.partnership, "2025/26", 3_000_000)
    add(year, "Sunday of the March change", datetime(2025, 3, 30, 12, 0))
    add(year, "Monday after the March change", datetime(2025, 3, 31, 12, 0))
    add(year, "Monday after the October change", datetime(2025, 10, 27, 12, 0))
    clockwork.every(datetime(2025, 3, 27, 0, 0), datetime(2025, 4, 1, 12, 0))
    clockwork.every(datetime(2025, 10, 23, 0, 0), datetime(2025, 10, 28, 12, 0))
    # 09:00 London is 09:00 UTC in winter and 08:00 UTC in summer.
    assert [now for now, _ in clockwork.to(WG, "Sunday of the March change")] == [
        datetime(2025, 3, 28, 9, 0)]
    assert [now for now, _ in clockwork.to(WG, "Monday after the March change")] == [
        datetime(2025, 3, 28, 9, 0), datetime(2025, 3, 31, 8, 0)]
    assert [now for now, _ in clockwork.to(WG, "Monday after the October change")] == [
        datetime(2025, 10, 24, 8, 0), datetime(2025, 10, 27, 9, 0)]
    assert len(clockwork.sent) == 4  # the Friday one carried both March deadlines


@pytest.mark.parametrize("first, last", [(datetime(2025, 3, 28), datetime(2025, 4, 1)),
                                         (datetime(2025, 10, 24), datetime(2025, 10, 28))])
def test_the_sweep_trigger_fires_every_five_minutes_across_a_change(first, last):
    """As the scheduler walks it: each fire time from the previous one, until past `last`."""
    zone = times.zone()
    trigger = sweep_trigger("Europe/London")
    fired, previous = [], None
    now = first.replace(tzinfo=zone)
    while now < last.replace(tzinfo=zone) and len(fired) < 2000:
        fire = trigger.get_next_fire_time(previous, now)
        fired.append(fire)
        # One second later, as an instant: aware arithmetic would drop the fold of the repeated hour.
        previous, now = fire, (fire.astimezone(timezone.utc) + timedelta(seconds=1)).astimezone(zone)
    instants = [f.timestamp() for f in fired]
    assert len(fired) < 2000, "the trigger went back in time"
    assert {b - a for a, b in zip(instants, instants[1:])} == {300.0}  # no gap, no repeat
    nine = {f.astimezone(zone).date() for f in fired if (f.astimezone(zone).hour,
                                                         f.astimezone(zone).minute) == (9, 0)}
    assert nine == {(first + timedelta(days=n)).date() for n in range((last - first).days)}


def test_slots_are_computed_in_local_time():
    cfg = ReminderConfig(offsets=(1,))
    due = at(2025, 3, 31, 12, 0)
    assert before_occasion(cfg, due, datetime(2025, 1, 1), datetime(2025, 3, 28, 8, 59)) is None
    occasion, slot = before_occasion(cfg, due, datetime(2025, 1, 1), datetime(2025, 3, 28, 9, 0))
    assert occasion == "before:1@2025-03-31" and slot == datetime(2025, 3, 28, 9, 0)


# --------------------------------------------------------------------------- downtime


def test_after_downtime_missed_reminders_go_once_late_and_collapsed(clockwork, frozen_now):
    frozen_now(datetime(2024, 6, 1, 12, 0))
    year = quiet_year()
    add(year, "Alpha", datetime(2024, 6, 12, 17, 0), people=["U_NAMED"])
    add(year, "Beta", datetime(2024, 6, 13, 17, 0), people=["U_NAMED"])
    # The clock was down from before 5 June until 10:30 on 11 June.
    sent, _ = clockwork.at(at(2024, 6, 11, 10, 30))
    assert sorted(c.args["channel"] for c in sent) == [WG, "U_NAMED"]  # one message each
    for call in sent:
        said = texts(call)
        assert "Alpha" in said and "Beta" in said and "Sent late" in said
    assert {(r.occasion, r.late) for r in Reminder.select()} == {
        ("before:1@2024-06-12", True), ("before:7@2024-06-13", True)}
    assert clockwork.at(at(2024, 6, 11, 10, 35))[0] == []
    sent, _ = clockwork.at(at(2024, 6, 12, 9, 0))  # back on time: on the day, and the day before
    assert len(sent) == 2 and all("Sent late" not in texts(c) for c in sent)
    assert "Alpha" in texts(sent[0]) and "Beta" in texts(sent[0])


def test_a_restart_at_night_waits_for_the_morning(clockwork, frozen_now):
    frozen_now(datetime(2024, 6, 1, 12, 0))
    year = quiet_year()
    add(year, "Gamma", datetime(2024, 6, 12, 17, 0))
    assert clockwork.at(at(2024, 6, 11, 22, 0))[0] == []
    assert clockwork.at(at(2024, 6, 12, 6, 0))[0] == []
    sent, _ = clockwork.at(at(2024, 6, 12, 9, 0))
    assert len(sent) == 1 and "today" in texts(sent[0]) and "Sent late" not in texts(sent[0])


# --------------------------------------------------------------------------- who


def _supported(year, who):
    pid = submit(year, who=Actor(who))
    decisions.decide(ADMIN, pid, "shortlist")
    decisions.decide(ADMIN, pid, "support")
    return pid


def test_the_people_who_owe_something_get_a_dm(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 1, 9, 0))
    year = quiet_year()
    _supported(year, "U_SUP")
    to_opcc(submit(year, who=Actor("U_OPCC")))
    lead1 = approved(year, who=Actor("U_LEAD1"), title="Night safety walks")
    lead2 = approved(year, who=Actor("U_LEAD2"), title="Bystander training")
    add(year, "Business cases due", datetime(2024, 6, 12, 17, 0), kind="business_cases_due")
    add(year, "Q1 progress reports", datetime(2024, 7, 15, 17, 0), kind="progress_reports_due")
    frozen_now(datetime(2024, 6, 20, 12, 0))
    progress.record(Actor("U_LEAD1"), lead1, narrative="Two walks done", rag="green")

    sent, _ = clockwork.at(at(2024, 6, 5))
    assert sorted(c.args["channel"] for c in sent) == [WG, "U_SUP"]  # the OPCC has the other
    assert "the business case for" in texts(next(c for c in sent if c.args["channel"] == "U_SUP"))

    sent, _ = clockwork.at(at(2024, 7, 8))
    # Lead 1 has reported, so has no reminder; both leads spent nothing in Q1, so each also hears
    # (late: the Q1 forecast messages were due on 1 July) that the project is behind profile.
    assert sorted(c.args["channel"] for c in sent) == [WG, "U_LEAD1", "U_LEAD2"]
    lead1_dm = texts(next(c for c in sent if c.args["channel"] == "U_LEAD1"))
    assert "Behind profile" in lead1_dm and "Q1 progress reports" not in lead1_dm
    dm = next(c for c in sent if c.args["channel"] == "U_LEAD2")
    assert "Bystander training" in texts(dm)
    buttons = [e for b in dm.arg("blocks") if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("progress_open", str(lead2))] * 2


def test_overdue_gets_one_nudge_then_the_weekly_digest_with_the_pots(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 1, 9, 0))
    year = quiet_year(digest=True)
    pid = _supported(year, "U_SUP")
    add(year, "Business cases due", datetime(2024, 6, 12, 17, 0), kind="business_cases_due")
    clockwork.days(date(2024, 6, 10), date(2024, 6, 21))
    nudges = [(now, c) for now, c in clockwork.to("U_SUP") if "overdue" in texts(c)]
    assert [now for now, _ in nudges] == [at(2024, 6, 13)]
    assert not [c for _, c in clockwork.to(WG) if "is now overdue" in texts(c)]
    digests = [(now, c) for now, c in clockwork.to(WG, "Weekly digest")]
    assert [now for now, _ in digests] == [at(2024, 6, 10), at(2024, 6, 17)]
    assert "Nothing is overdue" in texts(digests[0][1])
    said = texts(digests[1][1])
    assert "CRG-2024/25-001" in said and "U_SUP" in said and "£30,000" in said
    to_opcc_pid = decisions.decide(ADMIN, pid, "submit_to_opcc")
    assert to_opcc_pid
    sent, _ = clockwork.at(at(2024, 6, 24))
    assert "Nothing is overdue" in texts(sent[0])


# --------------------------------------------------------------------------- what


def test_typed_text_is_escaped(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 1, 9, 0))
    year = quiet_year()
    pid = approved(year, who=Actor("U_LEAD"), title="<!everyone> free & easy")
    add(year, "<!channel> pay day @here <@U123>", datetime(2024, 6, 12, 17, 0),
        kind="spend_deadline")
    sent, _ = clockwork.at(at(2024, 6, 5))
    assert {c.args["channel"] for c in sent} == {WG, "U_LEAD"}
    for call in sent:
        raw = json.dumps(call.arg("blocks"), ensure_ascii=False) + call.args["text"]
        assert "<!channel>" not in raw and "<!everyone>" not in raw and "<@U123>" not in raw
        assert "&lt;!channel&gt; pay day @\u200dhere &lt;@U123&gt;" in raw
    assert str(pid) and "&lt;!everyone&gt; free &amp; easy" in texts(
        next(c for c in sent if c.args["channel"] == "U_LEAD"))


def test_cancelled_deadlines_fall_silent_and_moved_ones_start_again(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    dropped = add(year, "Dropped", datetime(2024, 6, 19, 17, 0))
    moved = add(year, "Moved", datetime(2024, 6, 19, 17, 0))
    clockwork.days(date(2024, 6, 12), date(2024, 6, 12), times=("09:00",))
    frozen_now(datetime(2024, 6, 12, 12, 0))
    deadlines.cancel(ADMIN, dropped.id)
    deadlines.move(ADMIN, moved.id, datetime(2024, 6, 26, 17, 0))
    clockwork.days(date(2024, 6, 13), date(2024, 6, 27), times=("09:00",))
    assert [now for now, _ in clockwork.to(WG, "Dropped")] == [at(2024, 6, 12)]
    assert [now for now, _ in clockwork.to(WG, "Moved")] == [
        at(2024, 6, 12), at(2024, 6, 19), at(2024, 6, 25), at(2024, 6, 26)]


# --------------------------------------------------------------------------- Slack failing


def test_a_429_is_waited_out_and_counts_once(clockwork, frozen_now, fake):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    add(year, "Retried", datetime(2024, 6, 19, 17, 0))
    fake.rate_limit("chat.postMessage", retry_after=0)  # Slack did nothing: safe to retry
    clockwork.at(at(2024, 6, 12))
    assert [c.answered for c in fake.calls_to("chat.postMessage")] == ["429", "ok"]
    assert [m.state for m in OutboxMessage.select()] == ["delivered"]
    assert clockwork.at(at(2024, 6, 12, 9, 5))[0] == []
    assert len(fake.posted(WG)) == 1


def _methods(fake) -> list[str]:
    return [c.method for c in fake.calls if c.method in ("chat.postMessage",
                                                         "conversations.history")]


def test_slack_down_for_a_while_is_looked_up_then_sent_once_a_sweep(clockwork, frozen_now,
                                                                   fake):
    """Slack answers 503 without posting, three sweeps running: each later sweep reads the
    channel back before its one send, and the reminder arrives once when Slack recovers."""
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    add(year, "Later", datetime(2024, 6, 19, 17, 0))
    fake.server_error("chat.postMessage", 503, times=3)
    _, result = clockwork.at(at(2024, 6, 12))
    assert _methods(fake) == ["chat.postMessage"]  # not retried by the client
    message = OutboxMessage.get()
    assert (message.state, message.attempts) == ("unconfirmed", 1)
    assert "Service Unavailable" in message.error  # slack_sdk's words for a bare 503
    assert (result.delivered, result.retried, result.failed) == (0, 0, 0)
    for n, minute in enumerate((5, 10), start=2):
        fake.reset()
        fake.server_error("chat.postMessage", 503, times=1)
        clockwork.at(at(2024, 6, 12, 9, minute))
        assert _methods(fake) == ["conversations.history", "chat.postMessage"]
        assert OutboxMessage.get().state == "unconfirmed" and OutboxMessage.get().attempts == n
    fake.reset()
    sent, result = clockwork.at(at(2024, 6, 12, 9, 15))
    assert _methods(fake) == ["conversations.history", "chat.postMessage"]
    assert sent[0].answered == "ok" and result.delivered == 1 and result.failed == 0
    message = OutboxMessage.get()
    assert (message.state, message.attempts, message.error) == ("delivered", 4, "")
    assert clockwork.at(at(2024, 6, 12, 9, 20))[0] == []
    [posted] = fake.posted(WG)  # once
    assert posted["ts"] == message.ts


@pytest.mark.parametrize("fault", ["reset", 500, 502, 503, 504])
def test_a_send_slack_posted_before_failing_is_recorded_not_resent(clockwork, frozen_now, fake,
                                                                   fault):
    """Slack posted the reminder, then its edge answered 5xx or the connection was reset: the
    clock neither retries nor resends it, and the next sweep finds it in the history."""
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    add(year, "Posted behind a 5xx", datetime(2024, 6, 19, 17, 0))
    if fault == "reset":
        fake.reset_connection("chat.postMessage", after_posting=True)
    else:
        fake.server_error("chat.postMessage", fault, after_posting=True)
    _, result = clockwork.at(at(2024, 6, 12))
    assert [c.answered for c in fake.calls_to("chat.postMessage")] == [str(fault)]
    message = OutboxMessage.get()
    assert (message.state, message.attempts) == ("unconfirmed", 1)
    assert (result.delivered, result.retried, result.failed) == (0, 0, 0)  # no alert

    sent, result = clockwork.at(at(2024, 6, 12, 9, 5))
    assert sent == [] and _methods(fake) == ["chat.postMessage", "conversations.history"]
    assert (result.delivered, result.failed) == (1, 0)
    [posted] = fake.posted(WG)
    settled = OutboxMessage.get()
    assert (settled.state, settled.ts, settled.attempts, settled.error) == (
        "delivered", posted["ts"], 1, "")
    assert clockwork.at(at(2024, 6, 12, 9, 10))[0] == [] and len(fake.posted(WG)) == 1


@pytest.mark.parametrize("error, state", [
    ("internal_error", "unconfirmed"), ("fatal_error", "unconfirmed"),
    ("request_timeout", "unconfirmed"), ("service_unavailable", "unconfirmed"),
    ("ratelimited", "retry"), ("team_added_to_org", "retry"),
])
def test_what_slacks_error_leaves_a_send_in(clockwork, frozen_now, fake, error, state):
    """Slack failing while it handled the post may have posted it: looked up before a resend.
    Slack turning it away for now did nothing: sent again without looking."""
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    add(year, "Error codes", datetime(2024, 6, 19, 17, 0))
    fake.fail("chat.postMessage", error)
    clockwork.at(at(2024, 6, 12))
    assert (OutboxMessage.get().state, OutboxMessage.get().error) == (state, error)
    fake.reset()
    sent, result = clockwork.at(at(2024, 6, 12, 9, 5))
    looked = ["conversations.history"] if state == "unconfirmed" else []
    assert _methods(fake) == looked + ["chat.postMessage"]
    assert len(sent) == 1 and result.delivered == 1 and OutboxMessage.get().state == "delivered"
    assert len(fake.posted(WG)) == 1


def test_slack_failing_for_good_ends_failed_and_told_once(clockwork, frozen_now, fake):
    """A 5xx every time: one send a sweep, each after reading the channel, until MAX_ATTEMPTS
    sends; then the message is failed (the history shows it never arrived), the admins hear
    once, and nothing is sent again until an admin resends it."""
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    Member.create(partnership=year.partnership_id, slack_user_id="U_TEAM", role="admin",
                  granted_by="tests", granted_at=datetime(2024, 4, 1))
    add(year, "Slack is down", datetime(2024, 6, 19, 17, 0))
    fake.server_error("chat.postMessage", 503, times=MAX_ATTEMPTS)  # every send of the reminder
    moments = [at(2024, 6, 12) + timedelta(minutes=5 * n) for n in range(MAX_ATTEMPTS + 3)]
    for now in moments[:MAX_ATTEMPTS]:
        clockwork.at(now)
    assert [c.answered for c in fake.calls_to("chat.postMessage")] == ["503"] * MAX_ATTEMPTS
    assert _methods(fake) == ["chat.postMessage"] + [
        "conversations.history", "chat.postMessage"] * (MAX_ATTEMPTS - 1)  # looked up each time
    message = OutboxMessage.get(OutboxMessage.purpose == "reminder")
    assert (message.state, message.attempts) == ("unconfirmed", MAX_ATTEMPTS)

    sent, result = clockwork.at(moments[MAX_ATTEMPTS])  # not there after the last send: failed
    assert sorted(c.args["channel"] for c in sent) == ["U_ADMIN", "U_TEAM"]  # the alerts only
    assert result.failed == 1
    failed = OutboxMessage.get_by_id(message.id)
    assert (failed.state, failed.attempts) == ("failed", MAX_ATTEMPTS)
    assert failed.error.endswith(f"Service Unavailable; not in the conversation after "
                                 f"{MAX_ATTEMPTS} sends")
    for alert in sent:
        said = texts(alert)
        assert "Service Unavailable" in said and "Slack is down" in said
        assert f"--resend {failed.id}" in said
    for now in moments[MAX_ATTEMPTS + 1:]:
        assert clockwork.at(now)[0] == []  # neither sent again nor told twice
    assert fake.posted(WG) == []  # Slack never had it, and never got it twice

    resend(ADMIN, failed.id)  # an admin checked: Slack is back
    sent, _ = clockwork.at(moments[-1] + timedelta(minutes=5))
    assert [c.args["channel"] for c in sent] == [WG]
    assert len(fake.posted(WG)) == 1 and OutboxMessage.get_by_id(failed.id).state == "delivered"


def test_a_permanent_failure_is_told_to_the_admins_once(clockwork, frozen_now, fake):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    Member.create(partnership=year.partnership_id, slack_user_id="U_TEAM", role="admin",
                  granted_by="tests", granted_at=datetime(2024, 4, 1))
    add(year, "Nowhere to go", datetime(2024, 6, 19, 17, 0))
    fake.fail("chat.postMessage", "channel_not_found")
    sent, _ = clockwork.at(at(2024, 6, 12))
    alerts = [c for c in sent if c.args["channel"] in ("U_TEAM", "U_ADMIN")]
    assert sorted(c.args["channel"] for c in alerts) == ["U_ADMIN", "U_TEAM"]
    failed = OutboxMessage.get(OutboxMessage.purpose == "reminder")
    assert failed.state == "failed" and failed.error == "channel_not_found"
    for alert in alerts:
        assert "channel_not_found" in texts(alert) and f"--resend {failed.id}" in texts(alert)
    assert clockwork.at(at(2024, 6, 12, 9, 5))[0] == []  # neither resent nor told twice
    resend(ADMIN, failed.id)
    sent, _ = clockwork.at(at(2024, 6, 12, 9, 10))
    assert [c.args["channel"] for c in sent] == [WG]


def test_a_partnership_without_a_channel_is_reported(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year(channels=())
    add(year, "No channel", datetime(2024, 6, 19, 17, 0))
    sent, _ = clockwork.at(at(2024, 6, 12))
    assert [c.args["channel"] for c in sent] == ["U_ADMIN"]
    assert "none is set" in texts(sent[0])


# --------------------------------------------------------------------------- crashes and races


def _claim_for_dead_clock(year, now, state, recipient=WG):
    dead = Owner(token=424242)  # never started: no process holds it
    rows = [dict(key=f"d0:test:{recipient}", deadline=None, occasion="test", slot_at=now,
                 late=False)]
    message = claim(year.partnership_id, recipient, "reminder", rows, now, dead,
                    lambda mine: ("Left behind", []))
    if state == "sending":
        OutboxMessage.update(state="sending").where(OutboxMessage.id == message.id).execute()
    return message


def test_a_claim_a_dead_clock_never_sent_is_sent_once(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    message = _claim_for_dead_clock(year, at(2024, 6, 12, 8, 30), "claimed")
    sent, _ = clockwork.at(at(2024, 6, 12, 9, 0))
    assert [c.args["text"] for c in sent] == ["Left behind"]
    assert OutboxMessage.get_by_id(message.id).state == "delivered"
    assert clockwork.at(at(2024, 6, 12, 9, 5))[0] == []


def test_every_message_carries_its_outbox_key_as_metadata(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    add(year, "Tagged", datetime(2024, 6, 19, 17, 0))
    [call], _ = clockwork.at(at(2024, 6, 12))
    message = OutboxMessage.get()
    assert call.arg("metadata") == {"event_type": "crg_reminder", "event_payload": {
        "message_key": message_key(message.id, message.created_at)}}


@pytest.mark.parametrize("recipient", [WG, "U_LEAD"], ids=["channel", "dm"])
def test_a_message_slack_took_before_its_clock_died_is_recorded_not_repeated(
        clockwork, frozen_now, fake, recipient):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    message = _claim_for_dead_clock(year, at(2024, 6, 12, 8, 30), "sending", recipient)
    # What the dead clock's request did: Slack posted it, with the message's key.
    key = message_key(message.id, message.created_at)
    clockwork.client.chat_postMessage(channel=recipient, text="Left behind",
                                      metadata=metadata_for(key))
    clockwork.client.chat_postMessage(channel=recipient, text="Something else")  # newer, no key
    [posted, _] = fake.posted(recipient)
    sent, result = clockwork.at(at(2024, 6, 12, 9, 0))
    assert sent == [] and result.delivered == 1  # not sent again, and no alert
    stored = OutboxMessage.get_by_id(message.id)
    assert (stored.state, stored.ts) == ("delivered", posted["ts"])
    [history] = fake.calls_to("conversations.history")
    assert history.args["channel"] == ("D_LEAD" if recipient == "U_LEAD" else WG)
    assert history.args["include_all_metadata"] in ("1", "true", True)
    assert float(history.args["oldest"]) <= at(2024, 6, 12, 8, 30).replace(
        tzinfo=timezone.utc).timestamp()
    assert clockwork.at(at(2024, 6, 12, 9, 5))[0] == []
    assert len(fake.posted(recipient)) == 2


def test_a_message_slack_never_took_before_its_clock_died_is_sent_once(clockwork, frozen_now,
                                                                        fake):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    message = _claim_for_dead_clock(year, at(2024, 6, 12, 8, 30), "sending")
    # Another message of the bot in the channel, with another key: not this one.
    clockwork.client.chat_postMessage(channel=WG, text="Older", metadata=metadata_for(
        message_key(message.id + 1000, message.created_at)))
    sent, _ = clockwork.at(at(2024, 6, 12, 9, 0))
    assert [c.args["text"] for c in sent] == ["Left behind"]
    assert OutboxMessage.get_by_id(message.id).state == "delivered"
    assert len(fake.calls_to("conversations.history")) == 1
    assert clockwork.at(at(2024, 6, 12, 9, 5))[0] == []
    assert [m["text"] for m in fake.posted(WG)] == ["Older", "Left behind"]


def _answer_next_post_too_late(fake, monkeypatch, *, posted: bool) -> threading.Event:
    """Slack takes the next chat.postMessage (and posts it, or not) but its answer does not come
    back before the clock's request times out: the clock cannot know whether it was posted.
    Set the returned event to let the held answer go (after the clock has given up on it)."""
    answer = threading.Event()
    held = []
    if not posted:  # Slack's edge times out and the message is never posted
        fake.server_error("chat.postMessage", 504)
    handle = fake.handle

    def late(path, query, headers, body):
        reply = handle(path, query, headers, body)
        if path.endswith("/chat.postMessage") and not held:
            held.append(path)
            answer.wait(timeout=30)
        return reply

    monkeypatch.setattr(fake, "handle", late)
    return answer


@pytest.mark.parametrize("restarted", [False, True], ids=["same_clock", "restarted_clock"])
@pytest.mark.parametrize("posted", [True, False], ids=["slack_posted_it", "slack_never_did"])
def test_a_send_that_timed_out_unconfirmed_is_settled_from_the_history_once(
        clockwork, frozen_now, fake, monkeypatch, posted, restarted):
    """The `unconfirmed` path: the request reached Slack but no answer came back in time. Not a
    guess either way (unlike `in_doubt`, the history can be read): the next sweep, of the same
    clock or of one started after it died, looks the message up by its key and records it
    (Slack posted it) or sends it once (Slack never did)."""
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    add(year, "Timed out", datetime(2024, 6, 19, 17, 0))
    answer = _answer_next_post_too_late(fake, monkeypatch, posted=posted)
    timeout, clockwork.client.timeout = clockwork.client.timeout, 1
    try:
        _, result = clockwork.at(at(2024, 6, 12))
    finally:
        answer.set()
        clockwork.client.timeout = timeout

    message = OutboxMessage.get()
    key = message_key(message.id, message.created_at)
    [first] = fake.calls_to("chat.postMessage")  # sent once, not retried blind
    assert first.arg("metadata")["event_payload"]["message_key"] == key
    assert first.answered == ("ok" if posted else "504")
    assert len(fake.posted(WG)) == (1 if posted else 0)
    assert (message.state, message.ts, message.attempts) == ("unconfirmed", "", 1)
    assert message.error.startswith("TimeoutError") and message.owner == clockwork.owner.token
    assert (result.delivered, result.retried, result.failed) == (0, 0, 0)  # no alert: not in doubt
    assert fake.calls_to("conversations.history") == []  # checked only at the next sweep

    if restarted:  # the clock died; another starts (on SQLite, once the lease has run out)
        clockwork.owner.close()
        clockwork.owner = Owner().start()
    sent, result = clockwork.at(at(2024, 6, 12, 9, 20))

    [history] = fake.calls_to("conversations.history")
    assert history.args["channel"] == WG and history.args["include_all_metadata"] in (
        "1", "true", True)
    [stored] = fake.posted(WG)  # Slack holds the reminder exactly once
    assert stored["metadata"]["event_payload"]["message_key"] == key
    if posted:
        assert sent == []  # recorded, not sent again
    else:
        assert [c.arg("metadata")["event_payload"]["message_key"] for c in sent] == [key]
        assert sent[0].answered == "ok"
    assert (result.delivered, result.failed) == (1, 0)
    settled = OutboxMessage.get_by_id(message.id)
    assert (settled.state, settled.ts, settled.error) == ("delivered", stored["ts"], "")
    assert settled.attempts == (1 if posted else 2)
    assert settled.owner == clockwork.owner.token
    assert [r.message_id for r in Reminder.select()] == [message.id]  # one key, one message
    assert OutboxMessage.select().count() == 1

    assert clockwork.at(at(2024, 6, 12, 9, 25))[0] == []  # and never again
    assert len(fake.calls_to("conversations.history")) == 1 and len(fake.posted(WG)) == 1


@pytest.mark.parametrize("unavailable, busy", [
    (lambda fake: fake.fail("conversations.history", "missing_scope"), False),
    (lambda fake: fake.fail("conversations.history", "not_in_channel"), False),
    (lambda fake: fake.rate_limit("conversations.history", retry_after=0, times=4), True),
], ids=["missing_scope", "not_in_channel", "ratelimited"])
def test_when_the_history_cannot_be_read_the_admins_decide(clockwork, frozen_now, fake,
                                                           unavailable, busy):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    message = _claim_for_dead_clock(year, at(2024, 6, 12, 8, 30), "sending")
    unavailable(fake)
    sent, _ = clockwork.at(at(2024, 6, 12, 9, 0))
    start = 9
    if busy:  # Slack is only busy: the clock asks again at later sweeps, for up to an hour
        assert sent == [] and OutboxMessage.get_by_id(message.id).state == "unconfirmed"
        unavailable(fake)
        start = 10
        sent, _ = clockwork.at(at(2024, 6, 12, start, 0))
    assert [c.args["channel"] for c in sent] == ["U_ADMIN"]  # not resent blind
    assert "may or may not have arrived" in texts(sent[0])
    assert f"--resend {message.id}" in texts(sent[0])
    assert OutboxMessage.get_by_id(message.id).state == "in_doubt"
    assert clockwork.at(at(2024, 6, 12, start, 5))[0] == []  # neither resent nor told twice
    resend(ADMIN, message.id)  # an admin checked: it never arrived
    sent, _ = clockwork.at(at(2024, 6, 12, start, 10))
    assert [c.args["text"] for c in sent] == ["Left behind"]


def test_a_live_clocks_claim_is_left_alone(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    year = quiet_year()
    other = Owner().start()
    try:
        rows = [dict(key="d0:busy:C_WG", deadline=None, occasion="busy", slot_at=at(2024, 6, 12),
                     late=False)]
        message = claim(year.partnership_id, WG, "reminder", rows, at(2024, 6, 12, 8, 59), other,
                        lambda mine: ("Busy elsewhere", []))
        OutboxMessage.update(state="sending").where(OutboxMessage.id == message.id).execute()
        assert clockwork.at(at(2024, 6, 12, 9, 0))[0] == []
        assert OutboxMessage.get_by_id(message.id).state == "sending"
    finally:
        other.close()


def test_two_sweeps_at_once_send_each_reminder_once(clockwork, frozen_now, fake):
    frozen_now(datetime(2024, 5, 20, 12, 0))
    years = [quiet_year(channels=(f"C_RACE{n}",)) for n in range(3)]
    for n, year in enumerate(years):
        for k in range(4):
            add(year, f"Race {n}.{k}", datetime(2024, 6, 19, 17, 0), people=[f"U_R{n}{k}"])
    second = Clockwork(fake, clockwork.settings)
    barrier = threading.Barrier(2)
    errors = []

    def run(work):
        try:
            barrier.wait()
            work.at(at(2024, 6, 12))
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            from models import database

            database.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in (clockwork, second)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    second.owner.close()
    assert errors == []
    channels = [c.args["channel"] for c in fake.calls_to("chat.postMessage")]
    assert len(channels) == len(set(channels)) == 3 + 12
    assert Reminder.select().count() == 3 * 4 + 12  # a key per deadline and recipient
    assert {m.state for m in OutboxMessage.select()} == {"delivered"}


# --------------------------------------------------------------------------- a whole year


def test_a_whole_year_of_dates_each_reminder_once_on_time_to_the_right_people(clockwork,
                                                                              frozen_now):
    """The default template, a business case and a funded project, swept every working morning
    (and either side of nine, and in the evening) from before the year opens to after its
    monitoring return."""
    from backend.domain.workdays import is_working_day

    frozen_now(datetime(2024, 3, 25, 12, 0))
    name = f"Year-long CSP {next(_names)}"
    partnerships.add_partnership(ADMIN, name, [WG])
    year = years.open_year(ADMIN, name, "2024/25", 4_500_100)
    titles = [d.title for d in deadlines.upcoming(year.partnership_id)]
    assert len(titles) == len(deadlines.DEFAULT_TEMPLATE)
    lead, proposer = Actor("U0LEAD001", "Lee Lead"), Actor("U0CASE001", "Cas Case")
    funded = submit(year, "3,000", who=lead)
    case = submit(year, "2,000", who=proposer)
    to_opcc(funded)
    decisions.decide(ADMIN, case, "support")
    decisions.approve(ADMIN, funded)

    clockwork.days(date(2024, 3, 26), date(2025, 5, 6), times=("08:55", "09:00", "09:05", "20:05"))

    assert OutboxMessage.select().where(OutboxMessage.state != "delivered").count() == 0
    for now, call in clockwork.sent:
        local = times.to_local(now)
        assert (local.hour, local.minute) == (9, 0), (local, texts(call)[:80])
        assert is_working_day(local.date())
    for title in titles:
        days = [times.to_local(now).date() for now, _ in clockwork.to(WG, title)]
        assert len(days) >= 4, (title, days)  # 14, 7 and 1 days before, and on the day
        assert len(days) == len(set(days)), (title, days)  # never twice in a day
    progress_dms = clockwork.to(lead.id)
    assert progress_dms and any("progress_open" in json.dumps(c.arg("blocks")) for _, c in progress_dms)
    assert clockwork.to(proposer.id, "usiness case")
    assert not clockwork.to(proposer.id, "progress")  # a proposal is not a funded project
    sent_keys = [c.arg("metadata")["event_payload"]["message_key"] for _, c in clockwork.sent]
    assert len(sent_keys) == len(set(sent_keys))  # no message went twice


def test_outstanding_grant_conditions_are_chased_with_the_leads_reminders(clockwork, frozen_now):
    from backend.domain import conditions

    frozen_now(datetime(2024, 5, 1, 9, 0))
    year = quiet_year()
    conditions.add_template(ADMIN, year.partnership_id, "Signed grant agreement", "", "release")
    conditions.add_template(ADMIN, year.partnership_id, "DBS checks", "", "ongoing")
    lead = approved(year, who=Actor("U_LEAD1"), title="Night safety walks")
    agreement, dbs = conditions.for_project(lead)
    conditions.waive(ADMIN, dbs.id, "No work with children")
    progress.record(Actor("U_LEAD1"), lead, narrative="Two walks done", rag="green")
    add(year, "Q1 progress reports", datetime(2024, 7, 15, 17, 0), kind="progress_reports_due")

    sent, _ = clockwork.at(at(2024, 7, 8))
    dm = texts(next(c for c in sent if c.args["channel"] == "U_LEAD1"))
    assert "the grant condition, on CRG-2024/25-001 “Signed grant agreement”" in dm
    assert "DBS" not in dm and "/crg conditions CRG-2024/25-001" in dm
