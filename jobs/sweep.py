"""One sweep of the clock: claim what is due, send it, record that Slack accepted it.

Exactly once, and how the crash window is closed
-------------------------------------------------
Every reminder is one row in `reminder` under a unique key (deadline, occasion, recipient);
the Slack message that carries one or more of them is one row in `reminder_message` (the
outbox), whose `state` says how far sending got:

1. **Claim first.** In one transaction (one for the whole sweep) the sweep inserts, for each
   recipient, the message row (`claimed`, owned by this clock's token) and its reminder keys
   with INSERT ... ON CONFLICT DO NOTHING, then reads back which keys it got. A key another
   clock (or an earlier sweep) already holds is simply not claimed again: two clocks running
   at once never both send a reminder. Only the claimed keys are rendered into the message.
2. **Mark `sending`, then call Slack.** Each message's state moves to `sending` (committed)
   immediately before its one `chat.postMessage` call. Up to SEND_THREADS messages are sent
   at once, each through the same three steps on its own.
3. **Mark `delivered` when Slack accepts** (`ok: true`), with the message's `ts`. A reminder
   counts as sent only then.

Every message carries Slack message metadata naming its outbox row (event type
`crg_reminder`, payload `message_key`, see `jobs.messages.message_key`), so Slack itself can say
later whether it took a message.

What each failure leaves behind, and what the next sweep does about it:

- Killed after claiming, before calling Slack: the message is `claimed` by a dead owner. Slack
  never saw it, so the next sweep (of any clock) takes it over and sends it, once.
- Killed while Slack was answering (`sending` by a dead owner), or the request timed out
  (`unconfirmed`): Slack may or may not have posted it. The next sweep takes the message over
  (compare-and-set on the owner, so one clock only) and reads the destination conversation
  back (`conversations.history` from a little before the message was claimed, with
  `include_all_metadata`, at most a few pages; for a DM the IM channel `conversations.open`
  gives). Its key found on a bot message: Slack has it, it becomes `delivered` with that ts
  and is not sent again. Not found: Slack never took it, so it is claimed again and sent, once.
  A clock that dies while reading history leaves it `unconfirmed` for the next one (reading
  posts nothing). This closes the crash window: after a SIGKILL and a restart every reminder
  has arrived exactly once, with nobody's help.
- The history cannot be read (a `*:history` scope missing, `not_in_channel`, still rate
  limited after the client's retries, too many messages since): the clock does not guess. The
  message becomes `in_doubt` and the partnership's admins get a DM naming it, with
  `crg clock --resend ID` to send it again by hand if it never arrived. Never a duplicate,
  never silently lost. (A clean stop, SIGTERM, finishes the requests in hand first.)
- Slack said 429 or 5xx, or the connection was refused: `bot.client` already retried with
  backoff; after that the message becomes `retry` and the next sweep sends it again (those
  answers mean Slack did not post it). After MAX_ATTEMPTS sweeps it is reported to the admins
  as failed.
- Slack refused it for good (`channel_not_found`, `not_in_channel`, `user_not_found`...): it
  becomes `failed` and the admins get a DM (Member role admin, plus ADMIN_SLACK_IDS).

A dead owner is told apart from a busy one without timeouts on PostgreSQL: each clock holds a
session-level advisory lock on its token for as long as it lives (on its own connection), and
the server drops the lock the moment the process dies, so `pg_try_advisory_lock(token)`
succeeding means the owner is gone. On SQLite (one laptop) a claim older than LEASE is taken
to be abandoned.
"""
import json
import logging
import secrets
import socket
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.error import URLError

from slack_sdk.errors import SlackApiError

from backend import reminders
from backend.database import is_postgres, write_transaction
from backend.reminders import NO_CHANNEL, Due
from backend.settings import Settings
from jobs import messages
from models import Member, Partnership, database
from models.deadlines import Reminder, ReminderMessage

log = logging.getLogger("crg.clock")

LOCK_CLASS = 7302  # advisory lock namespace of clock owners (7301 is the migration lock)
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 12  # sweeps in a row that Slack may turn a message away before admins hear
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                    "request_timeout", "team_added_to_org"}
UNSENT = ("claimed", "sending")
UNCONFIRMED = ("sending", "unconfirmed")  # Slack may have it: read the history before sending
# Messages in flight at once. Each is still claimed, marked sending, sent and marked delivered
# on its own; a hard kill can leave at most this many in doubt.
SEND_THREADS = 4


class Owner:
    """This clock process: a random token, kept alive on PostgreSQL by an advisory lock."""

    def __init__(self, token: int | None = None):
        self.token = token or secrets.randbelow(2**31 - 2) + 1
        self._connection = None

    def start(self) -> "Owner":
        if is_postgres() and self._connection is None:  # SQLite needs no lock (see LEASE)
            import psycopg2

            db = database.obj
            self._connection = psycopg2.connect(dbname=db.database, **db.connect_params)
            self._connection.autocommit = True
            with self._connection.cursor() as cur:
                while True:  # a token another clock holds (one chance in two billion): another
                    cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self.token))
                    if cur.fetchone()[0]:
                        break
                    self.token = secrets.randbelow(2**31 - 2) + 1
        return self

    def ensure(self) -> "Owner":
        """Take the lock again if its connection was lost (the server restarted, say).

        Meanwhile another clock may have judged this one dead and taken its unsent claims: every
        state change is a compare-and-set on the owner, so this clock then simply loses them.
        """
        if self._connection is None:
            return self.start()
        try:
            with self._connection.cursor() as cur:
                cur.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - any failure means the lock is gone with it
            log.warning("clock owner %s lost its database connection; locking again", self.token)
            self._connection = None
            self.start()
        return self

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @staticmethod
    def gone(tokens: set[int], stale: dict[int, datetime], now: datetime) -> set[int]:
        """Which of these owners no longer run (`stale`: each owner's oldest claim, for SQLite)."""
        if not is_postgres():
            return {t for t in tokens if t is None or stale[t] < now - LEASE}
        dead = set()
        for token in tokens:
            if token is None:
                dead.add(token)
                continue
            got = database.execute_sql("SELECT pg_try_advisory_lock(%s, %s)",
                                       (LOCK_CLASS, token)).fetchone()[0]
            if got:
                database.execute_sql("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, token))
                dead.add(token)
        return dead


@dataclass
class SweepResult:
    delivered: int = 0
    retried: int = 0
    problems: list[tuple[int, int, str, str, str, str]] = field(default_factory=list)
    # (partnership id, message id, recipient, state, error, text)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def failed(self) -> int:
        return len(self.problems)

    def add(self, *, delivered=0, retried=0, problem=None) -> None:
        with self._lock:  # deliveries run in a few threads at once
            self.delivered += delivered
            self.retried += retried
            if problem is not None:
                self.problems.append(problem)


def sweep(client, settings: Settings, now: datetime, owner: Owner) -> SweepResult:
    """Recover what earlier sweeps left, then send everything due at `now`."""
    result = SweepResult()
    owner.ensure()
    recover(client, now, owner, result)
    groups: dict[tuple[int, str], list[Due]] = defaultdict(list)
    for due in reminders.plan(now):
        groups[(due.partnership_id, due.recipient)].append(due)
    wanted = []
    for (partnership_id, recipient), items in groups.items():
        purpose = "digest" if any(i.digest for i in items) else "reminder"
        rows = [dict(key=i.key, deadline=i.deadline_id, occasion=i.occasion,
                     slot_at=i.slot_at, late=i.late) for i in items]
        wanted.append((partnership_id, recipient, purpose, rows,
                       lambda mine, items=items: messages.render(
                           [i for i in items if i.key in mine], now)))
    claimed = claim_all(wanted, now, owner)
    deliver_all(client, claimed, owner, now, result)
    alert_admins(client, settings, result, now, owner)
    return result


def deliver_all(client, claimed: list[ReminderMessage], owner: Owner, now: datetime,
                result: SweepResult) -> None:
    """Send the claimed messages, SEND_THREADS at a time (each: sending, then delivered)."""
    if len(claimed) <= 1:
        for message in claimed:
            deliver(client, message, owner, now, result)
        return

    def one(message):
        try:
            return deliver(client, message, owner, now, result)
        finally:
            if not database.is_closed():
                database.close()  # this thread's connection back to the pool

    with ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="crg-send") as pool:
        list(pool.map(one, claimed))


def claim(partnership_id: int, recipient: str, purpose: str, rows: list[dict], now: datetime,
          owner: Owner, render) -> ReminderMessage | None:
    """Claim the keys not yet held and make the message carrying them; None if none were free."""
    claimed = claim_all([(partnership_id, recipient, purpose, rows, render)], now, owner)
    return claimed[0] if claimed else None


def _new_ids(count: int) -> list[int]:
    """Ids for new messages, taken before inserting them (inside the claim transaction)."""
    if is_postgres():
        cursor = database.execute_sql(
            "SELECT nextval(pg_get_serial_sequence('reminder_message', 'id')) "
            "FROM generate_series(1, %s)", (count,))
        return [row[0] for row in cursor.fetchall()]
    # SQLite: the IMMEDIATE transaction holds the only write lock, so max + 1 is free.
    top = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM reminder_message").fetchone()[0]
    return list(range(top + 1, top + 1 + count))


def _insert(model, rows: list[dict], *, ignore_conflicts: bool = False) -> None:
    """Many rows in few statements (peewee's insert_many spends longer building SQL than the
    database takes to run it); with `ignore_conflicts` a row whose unique key exists is skipped."""
    if not rows:
        return
    fields = [model._meta.fields[name] for name in rows[0]]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    postgres = is_postgres()
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    per_statement = max(1, (20_000 if postgres else 900) // len(fields))
    verb = "INSERT OR IGNORE INTO" if ignore_conflicts and not postgres else "INSERT INTO"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts and postgres else ""
    for start in range(0, len(rows), per_statement):
        part = rows[start:start + per_statement]
        params = [f.db_value(row[f.name]) for row in part for f in fields]
        database.execute_sql(f'{verb} "{model._meta.table_name}" ({columns}) VALUES '
                             f'{", ".join([one] * len(part))}{tail}', params)


def claim_all(wanted: list[tuple], now: datetime, owner: Owner) -> list[ReminderMessage]:
    """Claim every (partnership, recipient, purpose, key rows, render) in one transaction.

    A handful of statements whatever the number of messages: the messages are rendered as if
    every key were free (they are, unless another clock is claiming at the same moment), all
    inserted, then the keys, with ON CONFLICT DO NOTHING in one key order (so two clocks never
    deadlock); a message that lost some keys is rendered again, one that lost all is dropped.
    """
    if not wanted:
        return []
    with write_transaction():
        ids = _new_ids(len(wanted))
        made, keyed = [], []
        for message_id, (partnership_id, recipient, purpose, rows, render) in zip(ids, wanted):
            text, blocks = render({row["key"] for row in rows})
            made.append(ReminderMessage(
                id=message_id, partnership=partnership_id, recipient=recipient, purpose=purpose,
                text=text, blocks=json.dumps(blocks), state="claimed", owner=owner.token,
                claimed_at=now, created_at=now, attempts=0, error="", ts=""))
            keyed.extend({**row, "partnership": partnership_id, "recipient": recipient,
                          "message": message_id, "created_at": now} for row in rows)
        names = [f.name for f in ReminderMessage._meta.sorted_fields if f.name != "delivered_at"]
        _insert(ReminderMessage, [{n: m.partnership_id if n == "partnership" else getattr(m, n)
                                   for n in names} for m in made])
        keyed.sort(key=lambda row: row["key"])
        _insert(Reminder, keyed, ignore_conflicts=True)
        mine: dict[int, set[str]] = defaultdict(set)
        for start in range(0, len(ids), 500):
            for key, message_id in (Reminder.select(Reminder.key, Reminder.message)
                                    .where(Reminder.message.in_(ids[start:start + 500])).tuples()):
                mine[message_id].add(key)
        kept = []
        for message, (_, _, _, rows, render) in zip(made, wanted):
            got = mine.get(message.id, set())
            if not got:
                ReminderMessage.delete().where(ReminderMessage.id == message.id).execute()
                continue
            if len(got) < len(rows):
                text, blocks = render(got)
                message.text, message.blocks = text, json.dumps(blocks)
                ReminderMessage.update(text=message.text, blocks=message.blocks).where(
                    ReminderMessage.id == message.id).execute()
            kept.append(message)
    return kept


def _move(message: ReminderMessage, frm: tuple[str, ...], owner_token, *, flush: bool = True,
          **values) -> bool:
    """Compare-and-set the message's state: only from `frm`, and only if it is still ours.

    `flush=False` lets PostgreSQL confirm the commit before its WAL reaches the disk: used
    only for `delivered`, whose loss (in a crash of the database server itself) would leave the
    message `sending`, hence reported as in doubt, never sent twice.
    """
    query = ReminderMessage.update(**values).where(
        (ReminderMessage.id == message.id) & ReminderMessage.state.in_(frm))
    query = query.where(ReminderMessage.owner.is_null() if owner_token is None
                        else ReminderMessage.owner == owner_token)
    if flush or not is_postgres():
        return query.execute() == 1  # one statement: its own transaction
    with database.atomic():
        database.execute_sql("SET LOCAL synchronous_commit TO OFF")
        return query.execute() == 1


def deliver(client, message: ReminderMessage, owner: Owner, now: datetime,
            result: SweepResult, *, alert: bool = False) -> str:
    """Send one claimed message; returns the state it ended in."""
    if message.recipient == NO_CHANNEL:
        return _settle(message, owner, now, result, "failed", "no_working_group_channel", alert)
    if not _move(message, ("claimed",), owner.token, state="sending",
                 attempts=ReminderMessage.attempts + 1):
        return "lost"
    try:
        answer = client.chat_postMessage(
            channel=message.recipient, text=message.text,
            blocks=json.loads(message.blocks) or None, unfurl_links=False, unfurl_media=False,
            metadata=messages.metadata_for(messages.message_key(message.id, message.created_at)))
    except SlackApiError as error:
        code = _error_code(error)
        status = error.response.status_code
        transient = status == 429 or status >= 500 or code in TRANSIENT_ERRORS
        return _settle(message, owner, now, result, "retry" if transient else "failed", code, alert)
    except Exception as error:  # noqa: BLE001 - the network: was the request ever sent?
        state = "retry" if _never_sent(error) else "unconfirmed"  # the next sweep checks
        return _settle(message, owner, now, result, state, f"{type(error).__name__}: {error}", alert)
    _move(message, ("sending",), owner.token, flush=False, state="delivered",
          ts=answer.get("ts") or "", delivered_at=now, error="")
    result.add(delivered=1)
    log.info("delivered message=%s to=%s", message.id, message.recipient)
    return "delivered"


def _error_code(error: SlackApiError) -> str:
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return code or f"http_{error.response.status_code}"


def _never_sent(error: Exception) -> bool:
    """Connection refused or the name did not resolve: the request never reached Slack."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror))


def _settle(message, owner, now, result, state, error, alert) -> str:
    attempts = ReminderMessage.get_by_id(message.id).attempts
    if state == "retry" and attempts >= MAX_ATTEMPTS:
        state = "failed"
    frm = ("sending", "claimed")
    _move(message, frm, owner.token, state=state, error=error[:1000])
    level = logging.WARNING if state in ("retry", "unconfirmed") else logging.ERROR
    log.log(level, "message=%s to=%s %s: %s", message.id, message.recipient, state, error)
    if state == "retry":
        result.add(retried=1)
    elif state != "unconfirmed" and not alert:
        result.add(problem=(message.partnership_id, message.id, message.recipient, state, error,
                            message.text))
    return state


def recover(client, now: datetime, owner: Owner, result: SweepResult) -> None:
    """Send again what Slack turned away for now; take over what dead clocks left unsent; find
    out from Slack whether the messages nobody could confirm arrived."""
    for message in ReminderMessage.select().where(ReminderMessage.state == "retry"):
        if _move(message, ("retry",), message.owner, state="claimed", owner=owner.token,
                 claimed_at=now):
            deliver(client, message, owner, now, result, alert=message.purpose == "alert")
    mine = list(ReminderMessage.select().where((ReminderMessage.state == "unconfirmed")
                                               & (ReminderMessage.owner == owner.token)))
    left = list(ReminderMessage.select().where(ReminderMessage.state.in_(UNSENT + UNCONFIRMED)
                                               & ((ReminderMessage.owner != owner.token)
                                                  | ReminderMessage.owner.is_null())))
    oldest: dict[int, datetime] = {}
    for m in left:
        oldest[m.owner] = min(oldest.get(m.owner, m.claimed_at), m.claimed_at)
    dead = Owner.gone(set(oldest), oldest, now) if left else set()
    for message in (m for m in left if m.owner in dead):
        if message.state == "claimed":  # Slack never saw it: send it now
            if _move(message, ("claimed",), message.owner, owner=owner.token, claimed_at=now):
                deliver(client, message, owner, now, result, alert=message.purpose == "alert")
        # claimed_at stays: Slack's copy, if any, was posted after it
        elif _move(message, UNCONFIRMED, message.owner, state="unconfirmed", owner=owner.token):
            log.warning("message=%s to=%s: its clock died while Slack was answering; checking",
                        message.id, message.recipient)
            confirm(client, message, owner, now, result)
    for message in mine:
        confirm(client, message, owner, now, result)


def confirm(client, message: ReminderMessage, owner: Owner, now: datetime,
            result: SweepResult) -> str:
    """Settle an `unconfirmed` message of ours by reading its conversation back: delivered if
    Slack has it, sent (once) if not, `in_doubt` and told to the admins if nobody can tell."""
    alert = message.purpose == "alert"
    key = messages.message_key(message.id, message.created_at)
    try:
        ts = messages.find_posted(client, message.recipient, key, message.claimed_at)
    except messages.HistoryUnavailable as unknown:
        if not _move(message, ("unconfirmed",), owner.token, state="in_doubt",
                     error=f"history: {unknown.reason}"[:1000]):
            return "lost"
        log.error("message=%s to=%s in_doubt: Slack never confirmed it and its conversation "
                  "cannot be read back (%s)", message.id, message.recipient, unknown.reason)
        if not alert:
            result.add(problem=(message.partnership_id, message.id, message.recipient,
                                "in_doubt", unknown.reason, message.text))
        return "in_doubt"
    if ts is not None:
        if not _move(message, ("unconfirmed",), owner.token, state="delivered", ts=ts,
                     delivered_at=now, error=""):
            return "lost"
        result.add(delivered=1)
        log.info("message=%s to=%s was delivered before its clock stopped (ts %s)",
                 message.id, message.recipient, ts)
        return "delivered"
    if not _move(message, ("unconfirmed",), owner.token, state="claimed", claimed_at=now):
        return "lost"
    log.info("message=%s to=%s never reached Slack; sending it", message.id, message.recipient)
    return deliver(client, message, owner, now, result, alert=alert)


def resend(message_id: int) -> ReminderMessage:
    """Put a failed or in-doubt message back in the queue (an admin checked it never arrived)."""
    from backend.errors import Conflict, NotFound

    message = ReminderMessage.get_or_none(ReminderMessage.id == message_id)
    if message is None:
        raise NotFound(f"There is no clock message {message_id}.")
    if message.state not in ("failed", "in_doubt"):
        raise Conflict(f"Message {message_id} is {message.state}; only a failed or in-doubt "
                       "message can be sent again.")
    with write_transaction():
        ReminderMessage.update(state="retry", attempts=0).where(
            ReminderMessage.id == message_id).execute()
        # If it fails again the admins hear of it again.
        Reminder.delete().where(Reminder.occasion == f"alert:m{message_id}").execute()
    return ReminderMessage.get_by_id(message_id)


def admins_of(partnership_id: int, settings: Settings) -> list[str]:
    members = [m for (m,) in Member.select(Member.slack_user_id).where(
        (Member.partnership == partnership_id) & (Member.role == "admin")).order_by(Member.id).tuples()]
    return list(dict.fromkeys(members + list(settings.admin_slack_ids)))


def alert_admins(client, settings: Settings, result: SweepResult, now: datetime, owner: Owner) -> None:
    """One DM per admin per partnership for this sweep's problems; an alert is itself keyed once."""
    by_partnership = defaultdict(list)
    for pid, mid, recipient, state, error, text in result.problems:
        by_partnership[pid].append((mid, recipient, state, error, text))
    for pid, problems in by_partnership.items():
        admins = admins_of(pid, settings)
        if not admins:
            log.error("no admin to tell about messages %s of partnership %s",
                      [p[0] for p in problems], pid)
            continue
        name = Partnership.get_by_id(pid).name
        for admin in admins:
            rows = [dict(key=f"m{mid}:alert:{admin}", deadline=None, occasion=f"alert:m{mid}",
                         slot_at=now, late=False) for mid, *_ in problems]
            by_key = {f"m{p[0]}:alert:{admin}": p for p in problems}
            message = claim(pid, admin, "alert", rows, now, owner,
                            lambda mine, name=name, by_key=by_key: messages.render_alert(
                                name, [by_key[k] for k in sorted(mine, key=lambda k: by_key[k][0])]))
            if message is not None:
                deliver(client, message, owner, now, result, alert=True)
