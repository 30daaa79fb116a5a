"""The "Send it again" button on the reminder clock's alerts to a partnership's admins.

Admins are not at a command line, so the alert that says a message failed or may not have
arrived offers the button beside `crg clock --resend ID`; both go through the same service
(`backend.domain.outbox.states.resend`), which decides who may and whether it is still worth
doing. Once a message is queued every alert that named it (one per admin) is updated in place to
say so, so that nobody else clicks again thinking it still waits; a click that comes anyway is
told it is already queued, or delivered.
"""
import logging

from backend.domain.errors import DomainError
from backend.domain.outbox import states
from backend.logs import log_event
from backend.slack import alert_messages
from backend.slack.announce import tell
from backend.slack.client import SLACK_FAILURES, failure_reason
from backend.slack.text import escape
from bot.background import later
from bot.context import actor_of

log = logging.getLogger("crg.bot.clock_alerts")


def _message_id(value: str) -> int:
    """The button's value; anything that is not a plain number (a forged click) names none."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 15 else 0


def show_queued(client, resent: states.Resent, actor_id: str, channel: str | None) -> None:
    """Update the alerts that named the message; tell the clicker directly if theirs was not
    among them (an older alert), or could not be updated."""
    shown = False
    for post in resent.alerts:
        blocks = alert_messages.alert_after_resend(
            post.blocks, states.states_of(alert_messages.resend_ids(post.blocks)),
            resent.message_id, actor_id, resent.at)
        try:  # chat.update needs the DM's own id, not the person's
            dm = client.conversations_open(users=post.recipient)["channel"]["id"]
            client.chat_update(channel=dm, ts=post.ts, text=post.text, blocks=blocks)
        except SLACK_FAILURES as error:
            log_event(log, "alert_not_updated", logging.WARNING, to=post.recipient,
                      message=resent.message_id, error=failure_reason(error))
            continue
        shown = shown or post.recipient == actor_id
    if not shown:
        tell(client, actor_id, channel, states.queued(resent.message_id))


def register(app, settings) -> None:
    @app.action(alert_messages.RESEND_ACTION)
    def send_again(ack, body, action, client):
        ack()
        actor = actor_of(body, settings)
        channel = ((body.get("container") or {}).get("channel_id")
                   or (body.get("channel") or {}).get("id"))
        try:
            resent = states.resend(actor, _message_id(action.get("value") or ""))
        except DomainError as refusal:
            later(tell, client, actor.id, channel, escape(refusal.message))
            return
        later(show_queued, client, resent, actor.id, channel)
