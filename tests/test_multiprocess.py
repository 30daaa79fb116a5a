"""Several processes, one database: two gunicorn web processes and the clock on one PostgreSQL
database, as Heroku runs the app when one machine is not enough, driven by signed Slack traffic.

Both web processes get the same requests at the same moment: every proposal form is submitted
to both (and retried, as Slack does after a slow answer), two chairs press the same decision
button on different processes, the admin records the OPCC's and the PCC's decisions on both at
once, and the PCC approvals add up to twice what the upfront pot holds. Meanwhile the clock
sends the reminders that are due. Afterwards the ledger must still hold together, every
submission must have made one proposal, every decision must be recorded once (and told once),
every reminder must have arrived once, and every refusal must have reached its person as a
plain sentence.
"""
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from datetime import time as time_of_day

import pytest

from backend.domain import deadlines, fiscal, partnerships, people, reminders, times, years
from backend.domain.actors import command_line
from backend.domain.database import connect_database
from backend.domain.pots import year_figures
from bot.views.decision_form import FORM_CALLBACK
from bot.views.proposal_form import SUBMIT_CALLBACK
from models import (
    AuditRecord,
    FinancialYear,
    LedgerEntry,
    OutboxMessage,
    Proposal,
    Reminder,
    database,
)
from tests.conftest import ADMIN_URL, REQUIRE_POSTGRES, _admin_connection
from tests.processes import FakeSlackProcess, Gunicorn, crg, start_crg, stop, throwaway_database
from tests.slack.ids import new_id, new_ts
from tests.slack.requests import block_action, datepicker, plain_text, sign, view_submission
from tests.slack_flows import form_values
from tests.test_ledger_properties import _check_invariants

SECRET = "multiprocess-signing-secret"
OPERATOR = command_line("multiprocess-test")
NAME = "Twin Dyno CSP"
WG = "C0TWINWG"
ADMIN, CHAIRS, PROPOSERS = "U_ADMIN", ("U0CHAIRA", "U0CHAIRB"), ("U0PROPA", "U0PROPB")
ALLOCATION = 900_000  # £9,000: upfront £6,000, tactical £3,000
UPFRONT = 600_000
# £12,000 asked of the £6,000 upfront pot: about half the approvals must be refused.
AMOUNTS = (700, 1300, 900, 1100, 800, 1200, 1000, 600, 1400, 950, 1050, 1000)
LANES = 4  # proposals worked on at once; each lane sends its requests to both processes
# What each proposer is told about each proposal, once: (any of these phrases)
TOLD = (("saved as",), ("was shortlisted",), ("was supported",), ("was submitted to the OPCC",),
        ("was approved by the PCC", "was declined by the PCC"))


# -- the processes ------------------------------------------------------------------------------

@pytest.fixture
def database_url():
    """A database of this test's own on the shared server (other runs use the same server)."""
    try:
        _admin_connection().close()
    except Exception as error:  # noqa: BLE001 - any failure to connect means no server to use
        message = f"PostgreSQL is not reachable at {ADMIN_URL}: {error}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    with throwaway_database(ADMIN_URL, "crg_multiprocess") as url:
        connect_database(url)
        try:
            yield url
        finally:
            database.close()
            database.obj.close_all()


class Stack:
    """The fake Slack, two web processes and the clock, all on one database."""

    def __init__(self, url, tmp_path, fake_now: datetime):
        self.url, self.tmp_path, self.started = url, tmp_path, []
        self.env = {"DATABASE_URL": url, "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_BOT_TOKEN": "xoxb-multiprocess", "ADMIN_SLACK_IDS": ADMIN,
                    "CRG_FAKE_NOW": fake_now.isoformat()}  # read by the clock only
        self.web: list[Gunicorn] = []
        self.clock_log = tmp_path / "clock.log"

    def start(self) -> "Stack":
        # Slack's per-channel limit in its shape, twenty times faster: each proposer is sent 30
        # DMs here, which Slack's one a second would spread over half a minute (the limit itself
        # is tested in tests/test_outbox.py; this test is about processes sharing a database).
        self.fake = FakeSlackProcess(self.tmp_path / "slack-calls.jsonl", post_rate="20/5")
        self.started.append(self.fake)
        self.env["SLACK_API_URL"] = self.fake.base_url
        for n in (1, 2):
            self.web.append(Gunicorn(self.url, self.tmp_path / f"web-{n}.log", env=self.env))
            self.started.append(self.web[-1])
        for server in self.web:
            server.wait_until(server.healthy, 30, f"the web process on port {server.port}")
        self.clock = start_crg("clock", env=self.env, log_path=self.clock_log)
        return self

    def post(self, server: Gunicorn, body: str, retry: int | None = None) -> tuple[int, str]:
        headers = sign(body, SECRET)
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        status, text, _ = server.request("POST", "/slack/events", headers=headers, body=body)
        return status, text

    def at_once(self, sends) -> list[tuple[int, str]]:
        """Send each (server, body) from its own thread, all released together."""
        gate, answers = threading.Barrier(len(sends)), [None] * len(sends)

        def send(i, server, body):
            gate.wait(timeout=30)
            answers[i] = self.post(server, body)

        threads = [threading.Thread(target=send, args=(i, *s)) for i, s in enumerate(sends)]
        [t.start() for t in threads]
        [t.join(timeout=60) for t in threads]
        assert None not in answers, "a request did not come back"
        return answers

    def logs(self) -> str:
        logs = [s.log() for s in self.web]
        if self.clock_log.exists():
            logs.append(self.clock_log.read_text(errors="replace"))
        return "".join(logs)

    def stop_senders(self):
        """A clean stop of the clock and the web processes, which finish their work in hand."""
        if hasattr(self, "clock"):
            stop(self.clock)
        for server in self.web:
            server.stop()

    def stop(self):
        self.stop_senders()
        for started in reversed(self.started):
            started.stop()


# -- the data and the requests ------------------------------------------------------------------

def set_up() -> tuple[int, datetime, list]:
    """The partnership, its year, two chairs and deadlines with a reminder due at a moment
    (a Wednesday at the send time, at least three days from now); returns the year id, that
    moment and the reminders the clock should send at it."""
    partnerships.add_partnership(OPERATOR, NAME, [WG])
    deadlines.set_template(OPERATOR, NAME, [])
    deadlines.update_settings(OPERATOR, NAME, digest_weekday="none", bank_holidays="none")
    due_day = times.today_local() + timedelta(days=10)
    due_day += timedelta(days=(2 - due_day.weekday()) % 7)  # a Wednesday
    year = years.open_year(OPERATOR, NAME, fiscal.label(fiscal.year_of(due_day)),
                                  ALLOCATION)
    for chair in CHAIRS:
        people.grant(OPERATOR, year.partnership_id, chair, "chair")
    for k in range(3):
        deadlines.add(OPERATOR, NAME, "other", f"Twin deadline {k}",
                      datetime.combine(due_day, time_of_day(17, 0)),
                      people=[f"U0REMIND{k}A", f"U0REMIND{k}B"])
    fake_now = times.from_local(datetime.combine(due_day - timedelta(days=7), time_of_day(9, 0)))
    due = reminders.plan(fake_now)
    assert len({d.recipient for d in due}) == 7, due  # the channel and six people
    return year.id, fake_now, due


def proposal_form(year_id, view_id, user, amount, pot="upfront"):
    return view_submission(SUBMIT_CALLBACK, form_values(title=f"Project {view_id}", amount=amount,
                                                        pot=pot, contact=user),
                           user_id=user, view_id=view_id,
                           private_metadata=json.dumps({"year_id": year_id, "channel": WG,
                                                        "proposal_id": None}))


def button(fake, user, action, proposal_id, status):
    value = json.dumps({"p": proposal_id, "s": status})
    return block_action(f"decide_{action}", value, user_id=user, channel_id=WG,
                        message_ts=new_ts(), response_url=fake.response_url(new_id("R")))


def decision_form(action, proposal_id, status, values):
    meta = {"p": proposal_id, "a": action, "s": status, "c": WG, "t": new_ts()}
    return view_submission(FORM_CALLBACK, {k: {"value": v} for k, v in values.items()},
                           user_id=ADMIN, private_metadata=json.dumps(meta))


def refusals(answers) -> list[str]:
    """The sentences of the inline refusals among modal answers (an empty body is a success)."""
    found = []
    for status, body in answers:
        assert status == 200, body
        if body:
            reply = json.loads(body)
            assert reply["response_action"] == "errors", reply
            found += list(reply["errors"].values())
    return found


def assert_plain(sentence: str):
    assert sentence.strip() and sentence.rstrip()[-1] in ".?", sentence
    for sign_of_a_crash in ("Traceback", "Error", "reference", "None", "{"):
        assert sign_of_a_crash not in sentence, sentence


# -- the test -----------------------------------------------------------------------------------

def test_two_web_processes_and_the_clock_on_one_database(database_url, tmp_path):
    year_id, fake_now, due = set_up()
    database.close()
    stack = Stack(database_url, tmp_path, fake_now)
    try:
        ids = drive_traffic(stack.start(), year_id)
        check_ledger(year_id, ids)
        check_slack(stack, ids, due)
        database.close()
        # A restarted clock (Heroku restarts every dyno daily) sends nothing again.
        done = crg("clock", "--once", env=stack.env)
        assert done.returncode == 0 and "Swept: 0 delivered" in done.stdout, done
    finally:
        stack.stop()
    assert "Traceback" not in stack.logs(), stack.logs()


def drive_traffic(stack: Stack, year_id: int) -> list[int]:
    """The three rounds of traffic; returns the proposals' ids."""
    a, b = stack.web
    refused_forms: list[str] = []

    # 1. Proposals: each form goes to both processes at once, then once more as Slack's retry.
    views = [(new_id("V"), PROPOSERS[i % 2], f"{amount:,}") for i, amount in enumerate(AMOUNTS)]

    def submit(i, view_id, user, amount):
        body = proposal_form(year_id, view_id, user, amount)
        answers = stack.at_once([(a, body), (b, body)])
        answers.append(stack.post((b, a)[i % 2], body, retry=1))
        assert refusals(answers) == [], answers

    def refused_submission(amount, pot):
        body = proposal_form(year_id, new_id("V"), PROPOSERS[0], amount, pot)
        return refusals(stack.at_once([(a, body), (b, body)]))

    with ThreadPoolExecutor(LANES) as lanes:
        list(lanes.map(lambda args: submit(*args), [(i, *v) for i, v in enumerate(views)]))
        bad_amount = lanes.submit(refused_submission, "5e3", "upfront")
        locked_pot = lanes.submit(refused_submission, "500", "tactical")
        bad_amount, locked_pot = bad_amount.result(), locked_pot.result()
    assert len(bad_amount) == 2 and all("5e3" in m for m in bad_amount), bad_amount
    assert len(locked_pot) == 2 and all("tactical pot" in m for m in locked_pot), locked_pot
    refused_forms += bad_amount + locked_pot
    ids = [Proposal.get(Proposal.submission_key == f"view:{v}").id for v, _, _ in views]
    assert Proposal.select().count() == len(views)  # one per view id, retries and all
    database.close()

    # 2. Decisions, several proposals at a time: both chairs press each button at once on
    # different processes; the admin records the OPCC's steps on both at once.
    today = times.today_local().isoformat()

    def decide(pid):
        for action, status in (("shortlist", "submitted"), ("support", "shortlisted")):
            answers = stack.at_once([(a, button(stack.fake, CHAIRS[0], action, pid, status)),
                                     (b, button(stack.fake, CHAIRS[1], action, pid, status))])
            assert answers == [(200, ""), (200, "")], answers
        sent = refusals(stack.at_once(
            [(server, decision_form("submit_to_opcc", pid, "supported",
                                    {"date": datepicker(today)})) for server in (a, b)]))
        pounds = Proposal.get_by_id(pid).amount_pence // 100
        database.close()
        approved = refusals(stack.at_once(
            [(server, decision_form("approve", pid, "submitted_to_opcc",
                                    {"amount": plain_text(str(pounds))})) for server in (a, b)]))
        return sent, approved

    with ThreadPoolExecutor(LANES) as lanes:
        outcomes = dict(zip(ids, lanes.map(decide, ids)))
    for pid, (sent, approved) in outcomes.items():
        assert len(sent) == 1 and "cannot be submitted to the OPCC now" in sent[0], sent
        if Proposal.get_by_id(pid).status == "approved":  # the other process's click lost
            assert len(approved) == 1 and "is already approved by" in approved[0], approved
        else:  # both were told what the pot still holds
            assert len(approved) == 2 and all("available, so" in m for m in approved), approved
        refused_forms += sent + approved
    over = [p.id for p in Proposal.select().where(Proposal.status == "submitted_to_opcc")]
    assert over, "every approval fitted: the pot was never contested"
    database.close()

    # 3. The PCC declines what did not fit, on both processes at once; the last of these
    # decisions closes the upfront round and opens the tactical pot (once).
    def pcc_decline(pid):
        return refusals(stack.at_once(
            [(server, decision_form("pcc_decline", pid, "submitted_to_opcc",
                                    {"reason": plain_text("Not within this year's grant.")}))
             for server in (a, b)]))

    with ThreadPoolExecutor(LANES) as lanes:
        for refused in lanes.map(pcc_decline, over):
            assert len(refused) == 1 and "already declined by the PCC" in refused[0], refused
            refused_forms += refused
    for message in refused_forms:
        assert_plain(message)
    return ids


# -- what must hold afterwards ------------------------------------------------------------------

def check_ledger(year_id: int, ids: list[int]):
    _check_invariants(year_id, ALLOCATION)  # pots sum to the allocation, none below zero, ...
    figures = year_figures(FinancialYear.get_by_id(year_id))
    upfront, tactical = figures.pots["upfront"], figures.pots["tactical"]
    approved = list(Proposal.select().where(Proposal.status == "approved"))
    assert 0 < upfront.committed == sum(p.approved_pence for p in approved) <= UPFRONT
    assert upfront.available == 0 and tactical.available == ALLOCATION - upfront.committed
    declined = Proposal.select().where(Proposal.status == "pcc_declined")
    assert min(p.amount_pence for p in declined) > 0
    assert LedgerEntry.select().where(LedgerEntry.kind == "commitment").count() == len(approved)
    ledger_audits = [json.loads(r.after)["entry"] for r in AuditRecord.select().where(
        AuditRecord.action.startswith("ledger."))]
    assert sorted(ledger_audits) == sorted(e.id for e in LedgerEntry.select())  # one each

    for pid in ids:  # every decision recorded exactly once
        actions = [r.action for r in AuditRecord.select().where(
            (AuditRecord.entity == "proposal") & (AuditRecord.entity_id == pid))]
        final = ("proposal.approve" if Proposal.get_by_id(pid).status == "approved"
                 else "proposal.pcc_decline")
        assert sorted(actions) == sorted(["proposal.submit", "proposal.shortlist",
                                          "proposal.support", "proposal.submit_to_opcc", final])
    assert AuditRecord.select().where(AuditRecord.action == "year.rollover").count() == 1


def _posts(calls, channel=None):
    """The messages Slack took (a 429 posted nothing: Slack asked to wait)."""
    return [c for c in calls if c.method == "chat.postMessage" and c.answered == "ok"
            and (channel is None or c.args["channel"] == channel)]


def check_slack(stack: Stack, ids: list[int], due: list):
    fake = stack.fake
    proposals = {pid: Proposal.get_by_id(pid) for pid in ids}
    label = FinancialYear.get_by_id(proposals[ids[0]].year_id).label
    refs = {pid: f"CRG-{label}-{p.number:03d}" for pid, p in proposals.items()}
    titles = sorted({d.deadline.title for d in due})
    recipients = {d.recipient for d in due}

    def reminders_in(calls):
        return [c for c in _posts(calls) if any(t in json.dumps(c.args) for t in titles)]

    def proposer_dms(calls):
        return [c for c in _posts(calls) if c.args["channel"] in PROPOSERS]

    fake.wait_for(lambda calls: len(proposer_dms(calls)) >= len(ids) * len(TOLD)
                  and len(reminders_in(calls)) >= len(recipients), 30,
                  "the background posts and the clock's reminders")
    # Nothing more can arrive once every process that sends has stopped cleanly (each finishes
    # the work in hand first), so a duplicate would be in the recording now.
    stack.stop_senders()
    calls = fake.calls()
    # valid calls, every one; a 429 is Slack's limit of a message a second per channel, met by
    # waiting and sending again (each message still arrives once: below)
    assert [c for c in calls if c.answered not in ("ok", "429")] == []

    for pid, ref in refs.items():
        mine = [c for c in proposer_dms(calls) if ref in c.args["text"]]
        assert {c.args["channel"] for c in mine} == {proposals[pid].proposer_slack_id}
        for phrases in TOLD:
            said = [c for c in mine if any(p in c.args["text"] for p in phrases)]
            assert len(said) == 1, (ref, phrases, said)
        announced = [c for c in _posts(calls, WG)
                     if c.args["text"].startswith("New proposal") and ref in c.args["text"]]
        assert len(announced) == 1, (ref, announced)
        # The chair whose click lost was told why, once per button, where they clicked.
        for verb in ("shortlisted", "supported"):
            told_off = [c.args for c in calls if c.method == "chat.postEphemeral"
                        and ref in c.args["text"] and f"already {verb}" in c.args["text"]]
            assert len(told_off) == 1 and told_off[0]["user"] in CHAIRS, told_off
            assert_plain(told_off[0]["text"])
    opened = [c for c in _posts(calls, WG) if "tactical pot, which is now open" in c.args["text"]]
    assert len(opened) == 1, opened

    # Every reminder due was delivered exactly once: one message per recipient, naming each of
    # its deadlines.
    for recipient in recipients:
        got = [json.dumps(c.args) for c in reminders_in(calls) if c.args["channel"] == recipient]
        assert len(got) == 1, (recipient, got)
        assert {t for t in titles if t in got[0]} == \
            {d.deadline.title for d in due if d.recipient == recipient}
    assert {r.key for r in Reminder.select()} == {d.key for d in due}
    reminders = OutboxMessage.select().where(OutboxMessage.purpose.in_(("reminder", "digest")))
    assert [m.state for m in reminders] == ["delivered"] * len(recipients)
    # and everything the web processes owed people went too, each once
    assert {m.state for m in OutboxMessage.select()} == {"delivered"}
