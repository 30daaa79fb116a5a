"""A web (or Socket Mode) process's own sender: what its requests wrote to the outbox, sent once
the person has had their answer, in order, through Slack's limits and outages.

The messages are already safe in the outbox, claimed by this process (`Owner`), before anything
is sent. The sender then takes each commit's messages as one batch, on one worker thread, in the
order they were written (a proposal's post before the DM that refers to it; an agenda's posts
in agenda order), so a worker is picked per batch by its first recipient and several batches to
one channel keep their order too. When Slack says wait (429, Retry-After) or cannot be reached,
the message stays this sender's, `claimed`, and is tried again after the wait; when Slack may
have taken it without saying so (a 5xx, a broken connection), the conversation is read back
first, as the clock does (`backend.slack.recovery.confirm`). An outage delays messages; it
loses none and doubles none.

If this process dies with messages in hand (a SIGKILL, a dyno killed at the end of its grace
period), its claims are known to be abandoned (`backend.domain.outbox.owners`) and the clock's
next sweep, or the next web process to start, takes them over: each is sent once, or found
already in the conversation.
"""
import logging
import threading
import zlib
from datetime import datetime
from queue import Empty, SimpleQueue

from backend.domain import times
from backend.domain.database import release_connection
from backend.domain.outbox import notes, states
from backend.domain.outbox.owners import Owner
from backend.logs import log_event, request_context
from backend.settings import Settings
from backend.slack.alerts import alert_admins
from backend.slack.delivery import SweepResult, deliver
from backend.slack.recovery import confirm, recover

log = logging.getLogger("crg.outbox")

WORKERS = 4  # batches in flight at once; each batch's messages go one after another
FIRST_WAIT = 1.0  # seconds before asking Slack again after a failure, doubling each time ...
LONGEST_WAIT = 60.0  # ... up to this: after an outage, messages follow within a minute


class Sender:
    def __init__(self, client, settings: Settings, role: str = "web"):
        self.client, self.settings = client, settings
        self.owner = Owner(role=role)
        self._queues = [SimpleQueue() for _ in range(WORKERS)]
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._in_hand = 0
        self._threads: list[threading.Thread] = []

    def start(self, *, recover_left: bool = True) -> "Sender":
        self.owner.start()
        for n, queue in enumerate(self._queues):
            thread = threading.Thread(target=self._work, args=(queue,), daemon=True,
                                      name=f"crg-outbox-{n}")
            thread.start()
            self._threads.append(thread)
        if recover_left:  # what a predecessor left (a restart), without waiting for the clock
            self._count(1)
            threading.Thread(target=self._recover_left, daemon=True,
                             name="crg-outbox-recover").start()
        return self

    def submit(self, batch: list[tuple[int, str]]) -> None:
        """Send these (id, recipient) messages of one commit, in this order."""
        if not batch:
            return
        self._count(1)
        worker = zlib.crc32(batch[0][1].encode()) % WORKERS
        self._queues[worker].put(batch)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is in hand (tests, benchmarks); True if that happened in time."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_hand == 0, timeout=timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop: the message in hand is finished or left to others; nothing is sent twice."""
        self._stopping.set()
        for queue in self._queues:
            queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self.owner.close()

    # -- the workers ------------------------------------------------------------------------

    def _count(self, change: int) -> None:
        with self._idle:
            self._in_hand += change
            self._idle.notify_all()

    def _work(self, queue: SimpleQueue) -> None:
        while not self._stopping.is_set():
            try:
                batch = queue.get(timeout=1.0)
            except Empty:
                continue
            if batch is None:
                return
            try:
                for message_id, _ in batch:
                    if self._stopping.is_set():
                        break
                    self._send(message_id)
            except Exception:  # a bad message must not stop the worker; it stays in the outbox
                log_event(log, "outbox_sender_error", logging.ERROR, exc_info=True)
            finally:
                release_connection()
                self._count(-1)

    def _send(self, message_id: int) -> None:
        message = states.get(message_id)
        if message is None or message.owner != self.owner.token:
            return
        with request_context(message.request_id or None):
            result = SweepResult()
            wait = FIRST_WAIT
            while not self._stopping.is_set():
                message = states.get(message_id)
                if message.state == "claimed":
                    self._sleep_until(message.not_before)
                    outcome = deliver(self.client, message, self.owner, times.now(), result,
                                      settings=self.settings, alert=message.purpose == "alert",
                                      hold_retries=True)
                elif message.state == "unconfirmed" and message.owner == self.owner.token:
                    outcome = confirm(self.client, message, self.owner, times.now(), result,
                                      self.settings, hold_retries=True)
                else:
                    break
                if outcome not in ("held", "unconfirmed"):
                    break
                if outcome == "unconfirmed":
                    self._stopping.wait(wait)
                    wait = min(wait * 2, LONGEST_WAIT)
            if result.problems:
                alert_admins(self.client, self.settings, result, times.now(), self.owner)

    def _sleep_until(self, moment: datetime | None) -> None:
        if moment is not None:
            seconds = (moment - times.now()).total_seconds()
            if seconds > 0:
                self._stopping.wait(min(seconds, LONGEST_WAIT))

    def _recover_left(self) -> None:
        try:
            with request_context():
                result = SweepResult()
                recover(self.client, times.now(), self.owner, result, self.settings)
                if result.problems:
                    alert_admins(self.client, self.settings, result, times.now(), self.owner)
        except Exception:
            log_event(log, "outbox_recovery_failed", logging.ERROR, exc_info=True)
        finally:
            release_connection()
            self._count(-1)


def register(sender: Sender, notify) -> None:
    """This process's commits are sent by `sender`: `notify(batch)` hears of each one."""
    notes.use_sender(sender.owner.token, notify)


def unregister() -> None:
    notes.stop_using_sender()

