"""Nothing said in Slack is lost, nothing is said twice: the outbox, through Slack's limits and
outages, a killed web process and a clean restart.

Every message the app owes is written to the outbox with the change it reports, sent by the web
process once the person has their answer, and taken over by the clock (or the next web process)
when the one that wrote it died; see `backend.domain.outbox` and `backend.slack.sender`.
"""
import ast
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from backend.domain import meetings
from backend.domain.actors import Actor, command_line
from backend.domain.database import connect_database
from backend.slack import renderers, sender
from bot.background import drain
from bot.views.proposal_form import SUBMIT_CALLBACK
from models import OutboxMessage, Proposal, database
from tests.builders import ADMIN, draft, submit
from tests.conftest import ADMIN_URL, REQUIRE_POSTGRES, ROOT, _admin_connection
from tests.processes import FakeSlackProcess, Gunicorn, crg, throwaway_database
from tests.slack import block_kit
from tests.slack.requests import sign, view_submission
from tests.slack_flows import WG, form_values, partnership

DOMAIN = Path(ROOT) / "backend" / "domain"


# ------------------------------------------------------------------ the wordings


def _render_names_written_by_the_domain() -> set[str]:
    """Every wording name the domain writes: `Note(recipient, purpose, "name", ...)` and
    `tell_actor(actor, "name", ...)`, read from its code."""
    found = set()
    for path in DOMAIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            position = {"Note": 2, "tell_actor": 1}.get(name)
            if position is not None and len(node.args) > position:
                arg = node.args[position]
                if isinstance(arg, ast.Constant) and arg.value:
                    found.add(arg.value)
    return found


def test_every_wording_the_domain_writes_has_its_words():
    written = _render_names_written_by_the_domain()
    assert {"proposal_post", "proposal_saved", "decision_told", "round_closed"} <= written
    assert written - set(renderers.RENDERERS) == set()


# ------------------------------------------------------------------ what Slack refuses


def test_the_fake_slack_refuses_what_slack_refuses():
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    assert block_kit.problems([section] * 50) == []
    assert "51 blocks" in block_kit.problems([section] * 51)[0]
    assert block_kit.problems([section] * 100, "modal") == []
    assert block_kit.problems([{**section, "block_id": "a"}, {**section, "block_id": "a"}])
    assert block_kit.problems([{"type": "section", "text": {"type": "mrkdwn",
                                                             "text": "x" * 3001}}])
    assert block_kit.problems([{"type": "actions", "elements": [{"type": "slider"}]}])
    assert block_kit.problems([{"type": "marquee"}])
    button = {"type": "button", "text": {"type": "plain_text", "text": "y" * 76},
              "action_id": "a"}
    assert block_kit.problems([{"type": "actions", "elements": [button]}])
    assert "message text" in block_kit.message_problems({"text": "z" * 40_001}, None)[0]
    assert block_kit.view_problems({"type": "modal", "title": {"type": "plain_text",
                                                                "text": "A title that is too long"
                                                                        " for Slack"},
                                    "blocks": []})


def test_a_message_slack_would_refuse_is_a_violation(slack):
    slack.fake.reset()
    from backend.slack.client import sender_client

    client = sender_client(slack.settings)
    with pytest.raises(Exception):
        client.chat_postMessage(channel=WG, text="x", blocks=[{"type": "marquee"}])
    assert slack.fake.calls_to("chat.postMessage")[-1].answered == "error:invalid_blocks"
    assert slack.fake.violations and "unknown block type" in slack.fake.violations[0]
    slack.fake.reset()  # the test made it on purpose


# ------------------------------------------------------------------ limits and outages


def _upfront_proposals(year, count):
    proposer = command_line("tests")
    from backend.domain import proposals

    with_ids = []
    for n in range(count):
        view, _ = proposals.submit(proposer, year.id, draft(amount="100", title=f"Item {n:02d}"))
        with_ids.append(view.id)
    return with_ids


def test_an_agenda_of_forty_posts_all_of_them_in_order_none_twice(slack, frozen_now):
    """Slack takes about one message a second in a channel, with short bursts: the agenda's 41
    posts meet its 429s by waiting as it asks, in order, each once."""
    slack.fake.post_rate = (20.0, 5)  # Slack's shape, faster, so the test takes seconds
    frozen_now(datetime(2024, 4, 2, 9, 0))
    year = partnership(allocation=10_000_000)
    meetings.schedule(ADMIN, year.id, datetime(2024, 4, 28, 10, 0), datetime(2024, 4, 20, 17, 0))
    ids = _upfront_proposals(year, 40)
    assert drain(timeout=60)
    slack.fake.reset()
    slack.fake.post_rate = (20.0, 5)
    before = len(slack.fake.posted(WG))  # the proposals' own posts
    said = slack.slack.command("agenda", user_id="U_ADMIN").get_json()
    assert "Posting 40 agenda items" in said["text"]
    assert drain(timeout=60)
    posts = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == WG]
    assert any(c.answered == "429" for c in posts), "the limit was never reached"
    taken = [c for c in posts if c.answered == "ok"]
    refs = [Proposal.get_by_id(pid) for pid in ids]
    expected = [f"CRG-{year.label}-{p.number:03d}" for p in refs]
    assert taken[0].args["text"].startswith("*Agenda:")
    assert [c.args["text"].split(": ", 1)[1] for c in taken[1:]] == expected  # in order, once
    assert len(slack.fake.posted(WG)) - before == 41
    assert all(item.post_ts for item in meetings.AgendaItem.select())


def test_a_slack_outage_delays_messages_and_loses_none(slack, monkeypatch):
    """Slack's Web API down for a while (the sender's waits shortened for the test): the posts
    and DMs of proposals made meanwhile wait, then arrive, each once; a post Slack may have
    taken (it answered 503) is looked up in the channel before it is sent again."""
    monkeypatch.setattr(sender, "FIRST_WAIT", 0.05)
    monkeypatch.setattr(sender, "LONGEST_WAIT", 0.2)
    monkeypatch.setattr("backend.slack.delivery._retry_after", lambda error: 0.05)
    year = partnership()
    slack.fake.reset()
    before = {who: len(slack.fake.posted(who)) for who in (WG, "U_OUT0", "U_OUT1", "U_OUT2")}
    slack.fake.outage()
    for n in range(3):
        submit(year, who=Actor(f"U_OUT{n}", f"Person {n}"), title=f"Outage {n}",
               contact_slack_id=f"U_OUT{n}")
    time.sleep(1.0)  # the outage goes on while the sender keeps trying
    assert slack.fake.calls and all(c.answered == "503" for c in slack.fake.calls)
    assert Proposal.select().count() == 3 and len(slack.fake.posted(WG)) == before[WG]
    slack.fake.outage(down=False)
    assert drain(timeout=30)
    titles = sorted(m["text"] for m in slack.fake.posted(WG)[before[WG]:])
    assert titles == [f"New proposal: CRG-{year.label}-00{n + 1} “Outage {n}” (Submitted)"
                      for n in range(3)]
    for n in range(3):
        assert len(slack.fake.posted(f"U_OUT{n}")) == before[f"U_OUT{n}"] + 1
    assert {m.state for m in OutboxMessage.select()} == {"delivered"}


# ------------------------------------------------------------------ a killed web process

SECRET = "outbox-signing-secret"
BURST = 30


def _stack(url: str, tmp_path: Path, fake: FakeSlackProcess) -> dict:
    return {"DATABASE_URL": url, "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-outbox",
            "SLACK_API_URL": fake.base_url, "ADMIN_SLACK_IDS": "U_ADMIN"}


def _burst_bodies(year_id: int, run: str) -> list[str]:
    return [view_submission(SUBMIT_CALLBACK,
                            form_values(title=f"Burst {run} {n:02d}", amount="100",
                                        contact=f"U0BURST{n:02d}"),
                            user_id=f"U0BURST{n:02d}", view_id=f"V{run}{n:02d}",
                            private_metadata=json.dumps({"year_id": year_id, "channel": WG,
                                                         "proposal_id": None}))
            for n in range(BURST)]


def _send(server: Gunicorn, body: str, retry: int | None = None):
    headers = sign(body, SECRET)
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return server.request("POST", "/slack/events", headers=headers, body=body, timeout=20)


def _unsettled(url: str) -> int:
    connect_database(url)
    try:
        return OutboxMessage.select().where(OutboxMessage.state != "delivered").count()
    finally:
        database.close()


def _unsettled_rows(url: str) -> str:
    connect_database(url)
    try:
        return "\n".join(
            f"{m.id} {m.state} {m.kind} {m.purpose} to={m.recipient} owner={m.owner} "
            f"not_before={m.not_before} error={m.error}"
            for m in OutboxMessage.select().where(OutboxMessage.state != "delivered"))
    finally:
        database.close()


def _kill_mid_burst(url: str, folder: Path, year_id: int, delay: float, run: str) -> list:
    """The burst, the SIGKILL, the restart and Slack's resends; the calls Slack received."""
    folder.mkdir()
    # Slack's limit of a message a second per channel, made faster so the test takes seconds
    fake = FakeSlackProcess(folder / "slack-calls.jsonl", post_rate="20/5")
    env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-outbox",
           "SLACK_API_URL": fake.base_url, "ADMIN_SLACK_IDS": "U_ADMIN"}
    try:
        first = Gunicorn(url, folder / "web-1.log", env=env, workers=2)
        first.wait_until(first.healthy, 30, "the first web process")
        bodies, answered = _burst_bodies(year_id, run), {}

        def submit(n):
            try:
                answered[n] = _send(first, bodies[n])[0]
            except OSError:
                pass  # no answer: Slack sends it again

        threads = [threading.Thread(target=submit, args=(n,)) for n in range(BURST)]
        for thread in threads:
            thread.start()
        time.sleep(delay)
        os.killpg(first.proc.pid, signal.SIGKILL)  # the whole dyno, mid-burst
        for thread in threads:
            thread.join(30)
        first.proc.wait(10)
        unanswered = [n for n in range(BURST) if answered.get(n) != 200]
        # the kill cut something short: requests without an answer, or messages not yet sent
        assert unanswered or _unsettled(url), "the kill came after everything was done"
        second = Gunicorn(url, folder / "web-2.log", env=env, workers=2)
        try:
            second.wait_until(second.healthy, 30, "the restarted web process")
            for n in unanswered:  # what got no answer, Slack sends again, unchanged
                assert _send(second, bodies[n], retry=1)[0] == 200
            # The restarted process takes over what the killed one left; the clock's next
            # sweep would too (one now, as on its five-minute beat).
            assert crg("clock", "--once", env={"DATABASE_URL": url, **env}).returncode == 0
            try:
                second.wait_until(lambda: _unsettled(url) == 0, 60, "every message to be settled")
            except AssertionError as timed_out:
                raise AssertionError(f"{_unsettled_rows(url)}\n{timed_out}") from None
        finally:
            second.stop()
        return fake.calls()
    finally:
        fake.stop()


def _check_each_proposal_posted_and_told_once(calls: list, url: str, run: str) -> None:
    connect_database(url)
    try:
        saved = [p for p in Proposal.select() if p.title.startswith(f"Burst {run} ")]
        assert saved, "no proposal was saved"
        assert len({p.title for p in saved}) == len(saved)  # each submission made one
        taken = [c for c in calls if c.method == "chat.postMessage" and c.answered == "ok"]
        for proposal in saved:
            title = f"“{proposal.title}”"
            posts = [c for c in taken if c.args["channel"] == WG and title in c.args["text"]]
            dms = [c for c in taken if c.args["channel"] == proposal.proposer_slack_id
                   and title in c.args["text"]]
            assert (len(posts), len(dms)) == (1, 1), (proposal.title, posts, dms)
    finally:
        database.close()


@pytest.fixture(params=["sqlite", "postgres"])
def burst_database(request, tmp_path):
    """A database of each kind that gunicorn processes and the test share."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/burst.db"
        assert crg("db", "upgrade", env={"DATABASE_URL": url}).returncode == 0
        yield url
        return
    try:
        _admin_connection().close()
    except Exception as error:  # noqa: BLE001 - any failure to connect means no server
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is not reachable at {ADMIN_URL}: {error}")
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {error}")
    with throwaway_database(ADMIN_URL, "crg_outbox") as url:
        yield url


def test_a_web_process_killed_mid_burst_loses_no_message_and_doubles_none(burst_database,
                                                                         tmp_path):
    """30 proposals submitted at once, the web process SIGKILLed 80 and then 180 ms into the
    burst, restarted, every unanswered request resent unchanged as Slack does: every saved
    proposal ends with exactly one working-group post and one DM to its proposer."""
    connect_database(burst_database)
    year = partnership(allocation=100_000_000, name="Burst CSP")
    database.close()
    for run, delay in (("A", 0.08), ("B", 0.18)):
        calls = _kill_mid_burst(burst_database, tmp_path / run, year.id, delay, run)
        _check_each_proposal_posted_and_told_once(calls, burst_database, run)


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux's /proc")
def test_a_killed_sender_left_a_zombie_counts_as_gone():
    """A SIGKILLed worker whose parent died too may never be reaped in a container: its
    /proc entry stays, but it sends nothing, so its messages must be taken over."""
    from backend.domain.outbox.owners import _process_started

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # exited, not yet reaped: a zombie
        with open(f"/proc/{child.pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.02)
    try:
        assert _process_started(child.pid) == ""
        assert _process_started(os.getpid()) != ""
    finally:
        child.wait()
