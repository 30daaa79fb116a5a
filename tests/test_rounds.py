"""Upfront rounds whose cut-off passes with nothing left to decide open the tactical pot."""
from datetime import datetime

from backend.domain import decisions, rounds
from backend.domain.actors import CLOCK
from backend.domain.ledger import year_transaction
from backend.domain.outbox.owners import Owner
from backend.domain.pots import year_figures
from backend.settings import Settings
from jobs.clock import clock_client
from jobs.rounds import close_decided_rounds
from jobs.sweep import sweep
from models import FinancialYear, OutboxMessage
from tests.builders import ADMIN, open_year, submit

CUTOFF = datetime(2024, 5, 20, 16, 0)


def with_cutoff(year):
    with year_transaction(year.id) as y:
        y.upfront_cutoff_at = CUTOFF
        y.save()


def tactical(year):
    return year_figures(FinancialYear.get_by_id(year.id)).pots["tactical"]


def test_the_round_closes_once_the_cutoff_has_passed(db, frozen_now):
    year = open_year(900_000, name="Cutoff CSP")
    with_cutoff(year)
    decisions.decide(ADMIN, submit(year, "1,000"), "decline", reason="Out of scope")
    assert tactical(year).locked  # decided, but before the cut-off
    assert rounds.close_rounds_past_cutoff(CLOCK, datetime(2024, 5, 20, 15, 0)) == []
    assert rounds.close_rounds_past_cutoff(CLOCK, datetime(2024, 5, 21, 9, 0)) == [(year.id, 600_000)]
    assert not tactical(year).locked and tactical(year).allocated == 900_000
    assert rounds.close_rounds_past_cutoff(CLOCK, datetime(2024, 5, 22, 9, 0)) == []


def test_a_round_with_proposals_still_waiting_stays_open(db, frozen_now):
    year = open_year(900_000, name="Waiting CSP")
    with_cutoff(year)
    submit(year, "1,000")
    assert rounds.close_rounds_past_cutoff(CLOCK, datetime(2024, 6, 1)) == []
    assert tactical(year).locked


def test_the_clock_tells_the_working_group(db, frozen_now, fake_slack):
    fake_slack.reset()
    year = open_year(900_000, name="Told CSP", channels=["C0TOLD"])
    with_cutoff(year)
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.base_url)
    OutboxMessage.update(state="delivered").where(OutboxMessage.state == "queued").execute()
    assert close_decided_rounds(datetime(2024, 5, 21, 9, 0)) == 1
    assert fake_slack.calls_to("chat.postMessage") == []  # written to the outbox, not yet sent
    owner = Owner().start()
    try:  # the clock's sweep, which follows, sends it
        sweep(clock_client(settings), settings, datetime(2024, 5, 21, 9, 0), owner)
    finally:
        owner.close()
    [posted] = [c for c in fake_slack.calls_to("chat.postMessage") if "£6,000" in c.args["text"]]
    assert posted.args["channel"] == "C0TOLD" and "tactical pot" in posted.args["text"]
    assert fake_slack.violations == []
