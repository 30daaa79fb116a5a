"""Turning failures into words for the person who was waiting.

Domain refusals are expected and shown where the person typed (see the listeners). Anything
else lands here, in bolt's one error handler: it is logged with a short reference, and the
person is told that nothing was saved and given the same reference, in the place they acted.
"""
import json
import logging
import uuid

from slack_bolt import BoltResponse

from backend.logs import current_request_id, log_event
from backend.slack.client import SLACK_FAILURES
from backend.slack.text import escape

log = logging.getLogger("crg.bot.errors")


def new_reference() -> str:
    """The request's id (on every log line of the request), or a new one outside a request."""
    return current_request_id() or uuid.uuid4().hex[:8]


def apology(ref: str) -> str:
    return (f"Sorry, something went wrong and nothing was saved (reference `{escape(ref)}`). "
            "Please try again; if it keeps happening, send the reference to the community "
            "safety team.")


def message_modal(title: str, text: str) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title[:24]},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def register(app, settings) -> None:
    @app.error
    def on_unexpected_error(error, body, client):
        ref = new_reference()
        log_event(log, "unexpected_error", logging.ERROR, exc_info=error, reference=ref,
                  type=body.get("type") or ("slash_command" if "command" in body else "?"))
        text = apology(ref)
        if "command" in body:
            return _json({"response_type": "ephemeral", "text": text})
        if body.get("type") == "view_submission":
            return _json({"response_action": "update",
                          "view": message_modal("Not saved", text)})
        if body.get("type") == "block_actions":
            _tell_user(client, body, text)
        return BoltResponse(status=200, body="")


def _json(payload: dict) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload),
                        headers={"content-type": ["application/json;charset=utf-8"]})


def _tell_user(client, body: dict, text: str) -> None:
    user = (body.get("user") or {}).get("id")
    channel = (body.get("channel") or {}).get("id")
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
        elif user:
            client.chat_postMessage(channel=user, text=text)
    except SLACK_FAILURES:
        log_event(log, "failure_not_told", logging.ERROR, user=user, exc_info=True)
