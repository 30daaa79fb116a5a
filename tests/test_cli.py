"""The `crg` command line, run as a user runs it: a real process, a real database file."""
import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from backend.domain import directory, fiscal, times
from tests.conftest import ROOT


def test_set_up_a_partnership_and_see_its_pots(crg):
    assert "Added partnership Northshire CSP" in crg("partnership", "add", "Northshire CSP",
                                                     "--channel", "C0WG")
    out = crg("year", "open", "Northshire CSP", "2024/25", "--allocation", "£45,001")
    assert "upfront £30,000, tactical £15,001" in out
    pots = json.loads(crg("pots", "Northshire CSP", "2024/25", "--json"))
    assert pots["pots"]["upfront"]["available_pence"] == 3_000_000
    assert pots["pots"]["tactical"]["locked"] is True
    assert "Tactical (locked)" in crg("pots", "northshire csp")


@pytest.mark.parametrize("amount", ["5e3", "-10", "£", "1.234"])
def test_bad_amounts_are_refused_in_one_sentence(crg, amount):
    crg("partnership", "add", "Southshire CSP")
    message = crg("year", "open", "Southshire CSP", "2024/25", f"--allocation={amount}", ok=False)
    assert "39661, £39,661 or 39,661.50" in message and len(message.splitlines()) == 1


def test_refusals_are_plain_sentences(crg):
    assert crg("pots", "Nowhere", ok=False) == ("There is no partnership called “Nowhere” "
                                                "(known: none yet).")
    crg("partnership", "add", "A CSP")
    assert "already a partnership" in crg("partnership", "add", "A CSP", ok=False)
    assert "financial year" in crg("year", "open", "A CSP", "2024/26", "--allocation", "1", ok=False)


def test_mistakes_in_the_words_typed_are_one_sentence_and_options_go_anywhere(crg):
    crg("partnership", "add", "A CSP")
    crg("year", "open", "A CSP", "2024/25", "--allocation", "39,661")
    said = {
        ("spend", "leads", "A CSP", "maybe"): "crg spend leads: “maybe” is not one of on, off",
        ("year", "open", "A CSP", "2025/26"): "crg year open: It needs --allocation as well",
        ("serve", "--port", "abc"): "crg serve: --port takes a whole number, like 3, not “abc”",
        ("pots", "A CSP", "2024/25", "extra"): "crg: “extra” was not expected there",
    }
    for typed, sentence in said.items():
        message = crg(*typed, ok=False)
        assert message.startswith(sentence) and len(message.splitlines()) == 1, message
        assert message.endswith("--help` says what it takes.")
    # The year after an option, as people type it.
    assert json.loads(crg("pots", "A CSP", "--json", "2024/25"))["allocation_pence"] == 3_966_100


# The demo's two years worked out by hand. Last year: £39,661, upfront £26,440; £17,500 approved
# upfront, so £8,940 rolled over; the £4,000 project cancelled unspent (back to tactical); £2,300
# tactical approved; spent £4,100 + £3,500 + £2,300. This year: £45,001, £4,500 approved, £1,200
# spent, the upfront round still open.
DEMO_YEAR_END = {
    "last": {"uncommitted_pence": 2_386_100, "committed_unspent_pence": 590_000,
             "underspend_pence": 2_976_100},
    "this": {"uncommitted_pence": 4_050_100, "committed_unspent_pence": 330_000,
             "underspend_pence": 4_380_100},
}


def test_demo_pots_add_up(crg):
    out = crg("demo")
    assert "Demo Borough CSP" in out
    this = fiscal.year_of(times.today_local())
    for which, start in (("last", this - 1), ("this", this)):
        pots = json.loads(crg("pots", "Demo Borough CSP", fiscal.label(start), "--json"))
        allocated = sum(p["allocated_pence"] for p in pots["pots"].values())
        assert allocated == pots["allocation_pence"]
        assert all(p["available_pence"] >= 0 for p in pots["pots"].values())
        assert pots["year_end"] == DEMO_YEAR_END[which]
    assert "already a partnership" in crg("demo", ok=False)
    # A year still running is "so far", as in Slack; a finished one is not.
    assert "Year end so far: uncommitted £40,501" in crg("pots", "Demo Borough CSP")
    assert "Year end: uncommitted £23,861" in crg("pots", "Demo Borough CSP",
                                                  fiscal.label(this - 1))
    assert "Loaded the demo partnership “Second Demo”" in crg("demo", "--name", "Second Demo")


def test_serve_refuses_an_outdated_schema(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"}
    done = subprocess.run([sys.executable, "-m", "backend.cli", "serve"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Run `crg db upgrade` first" in done.stderr and "Traceback" not in done.stderr


def test_roles_from_the_command_line(crg):
    crg("partnership", "add", "Role CSP")
    assert ("U0CHAIR01 (name not known yet) is now a working-group or CSP chair in Role CSP "
            "(was a partner)") in crg("role", "Role CSP", "U0CHAIR01", "chair")
    assert "U0CHAIR01 (name not known yet)  chair" in crg("role", "Role CSP")
    directory.learn("U0CHAIR01", display_name="Jo", real_name="Jo Chair")
    assert "Jo Chair (U0CHAIR01)  chair" in crg("role", "Role CSP")
    assert "not a role" in crg("role", "Role CSP", "U0CHAIR01", "boss", ok=False)
    for someone in ("bob", "@bob", "<@U0CHAIR01>"):
        refusal = crg("role", "Role CSP", someone, "chair", ok=False)
        assert "is not a Slack member id" in refusal and "Copy member ID" in refusal
        assert len(refusal.splitlines()) == 1
    assert "was a working-group or CSP chair" in crg("role", "Role CSP", "U0CHAIR01", "partner")


def test_a_channel_is_given_by_its_id_and_the_refusal_says_how_to_find_it(crg):
    said = crg("partnership", "add", "Chan CSP", "--channel", "#community-safety", ok=False)
    assert said.startswith("“#community-safety” is not a Slack channel id")
    assert "About tab" in said and "/crg setup" in said and len(said.splitlines()) == 1
    assert "No partnerships yet" in crg("partnership", "list")  # nothing half-made
    crg("partnership", "add", "Chan CSP", "--channel", "C0CHAN001")
    assert "not a Slack channel id" in crg("partnership", "channel", "Chan CSP", "community-safety",
                                           ok=False)
    assert "C0CHAN002 now belongs to Chan CSP" in crg("partnership", "channel", "Chan CSP",
                                                      "C0CHAN002")


def test_serve_on_a_taken_port_and_a_clock_without_its_token_refuse_in_one_sentence(
        crg, monkeypatch):
    crg("db", "upgrade")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        said = crg("serve", "--port", str(port), ok=False)
    assert said.startswith(f"Cannot serve on 127.0.0.1:{port}: Address already in use.")
    assert len(said.splitlines()) == 1
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    said = crg("clock", "--once", ok=False)
    assert said.startswith("The clock sends the tracker's Slack messages, so it needs "
                           "SLACK_BOT_TOKEN") and len(said.splitlines()) == 1


def test_a_clock_dyno_without_its_token_waits_saying_why_and_stops_cleanly(db_url):
    """Between a Heroku deploy and the token being pasted in, the clock stays up (a crashing
    dyno looks like a broken deploy), sends nothing, and stops on SIGTERM as dynos are stopped."""
    env = {k: v for k, v in os.environ.items() if k != "SLACK_BOT_TOKEN"}
    clock = subprocess.Popen([sys.executable, "-m", "backend.cli", "clock"], cwd=ROOT,
                             env={**env, "DATABASE_URL": db_url}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        said = clock.stdout.readline()
        assert said.startswith("The clock sends the tracker's Slack messages, so it needs "
                               "SLACK_BOT_TOKEN") and "Waiting, sending nothing" in said
        assert clock.poll() is None  # still up
        clock.send_signal(signal.SIGTERM)
        assert clock.wait(10) == 0
        assert "Traceback" not in clock.stderr.read()
    finally:
        if clock.poll() is None:
            clock.kill()


def test_output_piped_to_a_reader_that_stops_early_is_no_error(db_url):
    """`crg demo | head -1`: the reader closes the pipe; the command says nothing is wrong."""
    run = subprocess.Popen([sys.executable, "-m", "backend.cli", "demo"], cwd=ROOT,
                           env={**os.environ, "DATABASE_URL": db_url}, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    run.stdout.close()  # before it writes anything
    assert run.wait(60) == 0
    said = run.stderr.read()
    assert "Something went wrong" not in said and "Traceback" not in said, said
