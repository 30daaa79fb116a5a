"""The "Send it again" button on the reminder clock's alerts to a partnership's admins.

Admins are not at a command line, so the alert that says a message failed or may not have
arrived offers the button beside `crg clock --resend ID`; both go through the same service
(`backend.domain.outbox.states.resend`), which decides who may and whether it is still worth
doing. Once a message is queued every alert that named it (one per admin) is updated in place to
say so, so that nobody else clicks again thinking it still waits; a click that comes anyway is
told it is already queued, or delivered.
"""
from backend.domain.errors import DomainError
from backend.domain.outbox import states
from backend.slack import alert_messages
from bot.background import tell_person
from bot.context import actor_of, number


def _message_id(value: str) -> int:
    """The button's value; anything that is not a plain number (a forged click) names none."""
    return number(value) or 0


def register(app, settings) -> None:
    @app.action(alert_messages.RESEND_ACTION)
    def send_again(ack, body, action, client):
        ack()
        actor = actor_of(body, settings)
        channel = ((body.get("container") or {}).get("channel_id")
                   or (body.get("channel") or {}).get("id"))
        try:  # the domain queues it, and the updates of every alert that named it
            states.resend(actor, _message_id(action.get("value") or ""))
        except DomainError as refusal:
            tell_person(actor.id, channel, refusal.message)
