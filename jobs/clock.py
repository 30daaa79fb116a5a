"""`crg clock`: the process that sends reminders. Never run inside a web worker.

It is declared as its own process type (`clock: crg clock` in the Procfile): web workers are
many and come and go, and a scheduler in each would send everything several times. Even so,
nothing breaks if two clocks do run: every reminder is claimed under a unique key first (see
`jobs.sweep`).

The scheduler is APScheduler 3's BlockingScheduler with one cron job, a sweep every
SWEEP_MINUTES minutes in the configured TIMEZONE, plus one sweep at start so that what was
missed while the clock was down goes out at once (or at the next send time). A sweep works
out what is due from the database each time, so nothing is lost across restarts, and the
wall-clock send time (09:00 London) is turned into UTC for each day separately, so the clock
changes in March and October neither skip nor double a reminder.

Beside each sweep, each in its own transaction, the clock opens tactical pots whose upfront
cut-off has passed (`jobs.rounds`), reminds working-group members who have not finished
scoring two days before the meeting (`jobs.scoring`) and forgets sign-in links that stopped
working a week ago (`jobs.housekeeping`): work that must happen on time but belongs in no one's request.

For tests only: CRG_FAKE_NOW (an ISO time, UTC unless it carries an offset) makes every sweep
of this process believe it is that moment.
"""
import logging
import os
import signal
from datetime import datetime, timezone

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient

from backend.domain import times
from backend.domain.database import ensure_connected, release_connection
from backend.domain.errors import InvalidInput
from backend.domain.outbox.owners import Owner
from backend.domain.outbox.states import SWEEP_MINUTES
from backend.logs import log_event, request_context
from backend.settings import Settings
from backend.slack.client import sender_client
from backend.slack.delivery import SweepResult
from jobs.housekeeping import fetch_left_behind, prune_sign_ins
from jobs.rounds import close_decided_rounds
from jobs.scoring import remind_scorers
from jobs.sweep import sweep

log = logging.getLogger("crg.clock")

FAKE_NOW_VARIABLE = "CRG_FAKE_NOW"


_process: dict = {}  # settings, client and owner of this clock process, set by `run`


def sweep_trigger(timezone_name: str) -> CronTrigger:
    """Every SWEEP_MINUTES minutes by the wall clock of TIMEZONE (tests walk it across the
    clock changes: no gap, no repeat)."""
    return CronTrigger(minute=f"*/{SWEEP_MINUTES}", timezone=timezone_name)


def current_time() -> datetime:
    """Now as naive UTC; CRG_FAKE_NOW overrides it (tests only)."""
    fake = os.environ.get(FAKE_NOW_VARIABLE)
    if not fake:
        return times.now()
    moment = datetime.fromisoformat(fake.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def sweep_job() -> SweepResult | None:
    """The scheduled job (module level, as APScheduler recommends): one sweep, never raising."""
    with request_context():
        try:
            ensure_connected()
            now = current_time()
            _beside_the_sweep("closing upfront rounds",
                              lambda: close_decided_rounds(now))
            _beside_the_sweep("reminding members to score", lambda: remind_scorers(now))
            result = sweep(_process["client"], _process["settings"], now, _process["owner"])
            log_event(log, "sweep", at=now.isoformat(), delivered=result.delivered,
                      retry=result.retried, problems=result.failed)
            _beside_the_sweep("pruning sign-in links and sessions", lambda: prune_sign_ins(now))
            _beside_the_sweep("fetching claims' files left behind",
                              lambda: fetch_left_behind(_process["settings"], now))
            return result
        except Exception:  # a bad sweep must not stop the clock; the next one starts afresh
            log_event(log, "sweep_failed", logging.ERROR, exc_info=True)
            return None
        finally:
            release_connection()


def _beside_the_sweep(what: str, job) -> None:
    """Work the clock does besides reminders (opening tactical pots whose upfront cut-off has
    passed, pruning sign-in links), each in its own transaction: a failure here must not stop
    the sweep."""
    try:
        job()
    except Exception:
        log_event(log, "beside_the_sweep_failed", logging.ERROR, job=what, exc_info=True)


def clock_client(settings: Settings) -> WebClient:
    """The clock's Web API client: it never resends a chat.postMessage Slack may have posted
    (a 5xx, a connection broken after the request left). Such a send is left `unconfirmed`,
    and the next sweep reads the conversation back before sending again (`jobs.sweep`); a
    blind retry here could put the reminder in the channel twice."""
    return sender_client(settings)


def start(settings: Settings) -> Owner:
    _process["settings"] = settings
    _process["client"] = clock_client(settings)
    _process["owner"] = owner = Owner().start()
    return owner


def _wait_for_a_token(needs: str) -> None:
    """Between a Heroku deploy and the Slack app's token being pasted in, the clock dyno stays
    up, idle, saying why (a crashing dyno looks like a broken deploy); setting the token restarts
    it, with the token. Messages wait in the outbox meanwhile."""
    stops = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)  # taken by sigwait, not by the default
    print(f"{needs} Waiting, sending nothing, until restarted with it.", flush=True)
    log_event(log, "clock_waiting_for_token", logging.WARNING, problem=needs)
    signal.sigwait(stops)


def run(settings: Settings, *, once: bool = False) -> SweepResult | None:
    # The deployment is unsafe as a whole: the clock would go on delivering sign-in links (the
    # outbox's) to a finance page anyone can enter with a forged cookie.
    settings.require_safe_secret()
    if not settings.slack_bot_token:  # every sweep would knock on Slack's door without a key
        needs = ("The clock sends the tracker's Slack messages, so it needs SLACK_BOT_TOKEN (the "
                 "bot token, xoxb-…), as the web process does: docs/slack-app-setup.md says "
                 "where to find it.")
        if once:
            raise InvalidInput(needs)
        _wait_for_a_token(needs)
        return None
    owner = start(settings)
    try:
        if once:
            return sweep_job()
        scheduler = BlockingScheduler(timezone=settings.timezone)
        scheduler.add_job(sweep_job, sweep_trigger(settings.timezone), id="sweep",
                          max_instances=1, coalesce=True, misfire_grace_time=60,
                          next_run_time=datetime.now(times.zone()))

        def stop(signum, frame):
            # wait=True: the sweep in hand (in the executor's thread) finishes first, so no
            # message is left mid-send by a clean stop.
            log_event(log, "clock_stopping", signal=signum, detail="finishing the sweep in hand")
            scheduler.shutdown(wait=True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(f"Clock running: a sweep every {SWEEP_MINUTES} minutes ({settings.timezone}). "
              "Stop it with Ctrl+C.", flush=True)
        scheduler.start()
        return None
    finally:
        owner.close()
