"""One sweep of the clock: claim what is due, send it, record that Slack accepted it.

Exactly once, and how the crash window is closed
-------------------------------------------------
Every reminder is one row in `reminder` under a unique key (deadline, occasion, recipient);
the Slack message that carries one or more of them is one row in `outbox_message` (the
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
`crg_reminder`, payload `message_key`, see `backend.slack.history`), so Slack itself can say later
whether it took a message.

What each failure leaves behind, and what the next sweep does about it:

- Killed after claiming, before calling Slack: the message is `claimed` by a dead owner. Slack
  never saw it, so the next sweep (of any clock) takes it over and sends it, once.
- Killed while Slack was answering (`sending` by a dead owner), or the request timed out, the
  connection broke after it was sent, or Slack answered 5xx or `internal_error`,
  `fatal_error`, `request_timeout`, `service_unavailable` (`unconfirmed`): Slack may or may not
  have posted it. The clock's client (`jobs.clock.clock_client`) never retries such a post
  blind, since a 5xx can come after Slack posted the message. The next sweep takes the
  message over (compare-and-set on the owner, so one clock only) and reads the destination
  conversation back (`conversations.history` from a little before the message was claimed, with
  `include_all_metadata`, at most a few pages; for a DM the IM channel `conversations.open`
  gives). Its key found on a bot message: Slack has it, it becomes `delivered` with that ts
  and is not sent again. Not found: Slack never took it, so it is claimed again and sent, once
  per sweep; once it has been sent MAX_ATTEMPTS times and is still not there (Slack down for
  an hour or more), it becomes `failed` and the admins are told, with a *Send it again*
  button (or `crg clock --resend ID`).
  A clock that dies while reading history leaves it `unconfirmed` for the next one (reading
  posts nothing). This closes the crash window: after a SIGKILL and a restart every reminder
  has arrived exactly once, with nobody's help.
- The history cannot be read (a `*:history` scope missing, `not_in_channel`, still rate
  limited after the client's retries, too many messages since): the clock does not guess. The
  message becomes `in_doubt` and the partnership's admins get a DM naming it, with the
  alert's *Send it again* button (or `crg clock --resend ID`) to send it again by hand if it
  never arrived. Never a duplicate,
  never silently lost. (A clean stop, SIGTERM, finishes the requests in hand first.)
- Slack said 429 (or `ratelimited`, `team_added_to_org`), or the connection was refused or
  the name did not resolve: `backend.slack.client` already retried with backoff; after that the message
  becomes `retry` and the next sweep sends it again without reading the history (those mean
  Slack did not act on it). After MAX_ATTEMPTS sends it becomes `failed` and the admins hear.
- Slack refused it for good (`channel_not_found`, `not_in_channel`, `user_not_found`...): it
  becomes `failed` and the admins get a DM (Member role admin, plus ADMIN_SLACK_IDS).

A dead owner is told apart from a busy one without timeouts on PostgreSQL (an advisory lock
each clock holds while it lives, which the server drops the moment the process dies); on SQLite
(one laptop) a claim older than a lease of 15 minutes is taken to be abandoned
(`backend.domain.outbox.owners`).

Where each part lives: `jobs.due` turns what is due into one message per recipient,
`backend.domain.outbox.claims` claims them, `backend.slack.delivery` sends and records,
`backend.slack.recovery` settles what earlier sweeps left (reading history through
`backend.slack.history`), `backend.domain.outbox.owners` tells a dead clock from a busy one,
and `backend.slack.alerts` tells the admins. This module is the order they run in.
"""
from datetime import datetime

from backend.domain.outbox.claims import claim_all
from backend.domain.outbox.owners import Owner
from backend.settings import Settings
from backend.slack.alerts import alert_admins
from backend.slack.delivery import SweepResult, deliver_all
from backend.slack.recovery import recover
from jobs.due import due_messages


def sweep(client, settings: Settings, now: datetime, owner: Owner) -> SweepResult:
    """Recover what earlier sweeps left, then send everything due at `now`."""
    result = SweepResult()
    owner.ensure()
    recover(client, now, owner, result, settings)
    claimed = claim_all(due_messages(now), now, owner)
    deliver_all(client, claimed, owner, now, result, settings)
    alert_admins(client, settings, result, now, owner)
    return result
