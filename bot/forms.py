"""Opening a modal, and the one way a modal submission is answered: the service's refusal
inline, else the modal closes.

Every form's handler passes the service call and how a refusal maps onto its inputs; nothing is
saved on a refusal, because the service refused inside its own transaction.
"""
import logging

from backend.domain.errors import DomainError, FieldErrors
from backend.logs import log_event
from backend.slack.client import SLACK_FAILURES, failure_reason

log = logging.getLogger("crg.bot.forms")
NOT_OPENED = ("Slack did not open the form just now (it was slow or busy), so nothing was "
              "started. Please try again.")


def open_modal(client, trigger_id: str, view: dict) -> None:
    """Open a modal while the click's trigger lasts (three seconds): once, briefly (the client
    is `interactive_client`). If Slack is slow or failing the person is told to try again, in
    the place they acted, rather than left waiting or shown an error."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SLACK_FAILURES as error:
        log_event(log, "form_not_opened", logging.WARNING, callback=view.get("callback_id"),
                  error=failure_reason(error))
        raise DomainError(NOT_OPENED) from error

def errors_against(refusal: DomainError, blocks, block_of=None) -> dict[str, str]:
    """A refusal as `response_action: errors`: each sentence against its input (`block_of`
    names the block of a field whose name differs), one about no input of the form (who may do
    it) against the first; two about one input are both shown, one after the other."""
    found = refusal.errors if isinstance(refusal, FieldErrors) else {refusal.field: refusal.message}
    mapped: dict[str, str] = {}
    for field, message in found.items():
        block = block_of(field) if block_of is not None else field
        block = block if block in blocks else blocks[0]
        mapped[block] = f"{mapped[block]} {message}" if block in mapped else message
    return mapped


def open_from_button(client, body: dict, actor, ask, build) -> None:
    """A button that opens a form: `ask()` is the domain's `may_…` rule, answered before
    anything is typed; `build(thing, channel)` the modal. A refusal, or a form Slack would not
    open, is said to the person where the button was (ephemerally, else by DM)."""
    from bot.background import tell_person

    channel = (body.get("channel") or {}).get("id") or ""
    try:
        open_modal(client, body["trigger_id"], build(ask(), channel))
    except DomainError as refusal:
        tell_person(actor.id, channel, refusal.message)


REFUSED = object()  # what `saved` returns when the person was shown the refusal


def saved(ack, save, errors_for):
    """Run `save()`; on a DomainError answer `errors_for(refusal)` against the inputs."""
    try:
        result = save()
    except DomainError as refusal:
        ack(response_action="errors", errors=errors_for(refusal))
        return REFUSED
    ack()
    return result
