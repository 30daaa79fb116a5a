"""Signed Slack HTTP requests, built the way Slack sends them.

Payload shapes follow Slack's documented examples (and bolt-python's own
scenario tests): slash commands are a plain form, interactions are a form with
one ``payload=<json>`` field, events are a JSON ``event_callback`` envelope.
Every request is signed with ``slack_sdk``'s own ``SignatureVerifier``, so the
app's real request verification runs in tests instead of being switched off.

Ids that are not given (trigger ids, view ids, event ids, response URLs) are
generated fresh for each request, so tests that care about de-duplication
only have to reuse one on purpose.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from slack_sdk.signature import SignatureVerifier

from tests.slack.fake_api import FakeSlackAPI
from tests.slack.ids import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    default_name,
    dm_channel_id,
    new_id,
    new_trigger_id,
    new_ts,
)

if TYPE_CHECKING:
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEFAULT_USER_ID = "U_ALICE"
DEFAULT_CHANNEL_ID = "C_WG"
# Slack still sends the deprecated verification token in every payload.
VERIFICATION_TOKEN = "legacy-verification-token"


# --------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------


def content_type_of(body: str) -> str:
    """Slack sends events as JSON and commands / interactions as forms."""
    return JSON if body.lstrip().startswith("{") else FORM


def sign(body: str, secret: str, timestamp: int | None = None, content_type: str | None = None) -> dict[str, str]:
    """The headers Slack adds to ``body``: timestamp, v0 signature, content type."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": content_type or content_type_of(body),
    }


_sign = sign  # SlackClient.post has a ``sign`` flag that hides the function name


# --------------------------------------------------------------------------
# Input values, as they appear in view.state.values / block_actions
# --------------------------------------------------------------------------


def _option(value: str, text: str | None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def plain_text(value: str | None) -> dict[str, Any]:
    """A ``plain_text_input``; ``None`` is how Slack reports an empty optional field."""
    return {"type": "plain_text_input", "value": value}


def static_select(value: str | None, text: str | None = None) -> dict[str, Any]:
    """A ``static_select``; ``None`` means nothing selected."""
    return {"type": "static_select", "selected_option": None if value is None else _option(value, text)}


def multi_static_select(options: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A ``multi_static_select`` from ``(value, text)`` pairs."""
    return {"type": "multi_static_select", "selected_options": [_option(value, text) for value, text in options]}


def datepicker(date: str | None) -> dict[str, Any]:
    """A ``datepicker``; ``date`` as Slack sends it, ``"YYYY-MM-DD"``."""
    return {"type": "datepicker", "selected_date": date}


def users_select(user_id: str | None) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user_id}


# --------------------------------------------------------------------------
# Shared payload parts
# --------------------------------------------------------------------------


def _user(user_id: str, team_id: str) -> dict[str, Any]:
    name = default_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _team(team_id: str) -> dict[str, Any]:
    return {"id": team_id, "domain": TEAM_DOMAIN}


def _hooks_url(kind: str, team_id: str) -> str:
    """A response URL of the shape Slack hands out (unreachable from tests)."""
    return f"https://hooks.slack.com/{kind}/{team_id}/{new_id('')}/{secrets.token_hex(12)}"


def _interaction(kind: str, *, user_id: str, team_id: str, trigger_id: str | None, **fields: Any) -> str:
    """An interactivity request body: the form field ``payload`` holding JSON."""
    payload = {
        "type": kind,
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "is_enterprise_install": False,
        "enterprise": None,
        **fields,
    }
    # Compact, as Slack sends it (no spaces after separators), then form-encoded.
    return "payload=" + quote(json.dumps(payload, separators=(",", ":")))


def modal_view(
    callback_id: str,
    values: dict[str, Any] | None = None,
    *,
    view_id: str | None = None,
    private_metadata: str = "",
    hash: str | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """An open modal as interaction payloads carry it, with its current input state."""
    view_id = view_id or new_id("V")
    return {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": values or {}},
        "hash": hash or f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": {"type": "plain_text", "text": "CRG"},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }


# --------------------------------------------------------------------------
# Request bodies
# --------------------------------------------------------------------------


def slash_command(
    text: str,
    *,
    command: str = "/crg",
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str | None = None,
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> str:
    """A slash command body (form-encoded), e.g. ``/crg add 5000 for printing``."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name or default_name(channel_id),
            "user_id": user_id,
            "user_name": user_name or default_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or _hooks_url("commands", team_id),
            "trigger_id": trigger_id or new_trigger_id(),
        }
    )


def _button(value: str, label: str) -> dict[str, Any]:
    return {"type": "button", "value": value, "text": {"type": "plain_text", "text": label, "emoji": True}}


def _action(action_id: str, block_id: str | None, value: str | dict[str, Any]) -> dict[str, Any]:
    """One entry of ``actions``: a button for a string value, else the element state."""
    element = value if isinstance(value, dict) else _button(value, label=value or action_id)
    return {"action_id": action_id, "block_id": block_id or new_id("B"), **element, "action_ts": new_ts()}


def _action_source(
    *, channel_id: str | None, message_ts: str | None, view: dict[str, Any] | None, team_id: str
) -> dict[str, Any]:
    """Where the clicked element lives: a modal / home tab, or a message."""
    if view is not None:
        return {"container": {"type": "view", "view_id": view["id"]}, "view": view}
    if channel_id is None:
        return {}
    ts = message_ts or new_ts()
    return {
        "container": {"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": False},
        "channel": {"id": channel_id, "name": default_name(channel_id)},
        "message": {"type": "message", "ts": ts, "text": "", "user": BOT_USER_ID, "bot_id": BOT_ID, "blocks": []},
        "state": {"values": {}},
        "response_url": _hooks_url("actions", team_id),
    }


def block_action(
    action_id: str,
    value: str | dict[str, Any] = "",
    *,
    user_id: str = DEFAULT_USER_ID,
    channel_id: str | None = None,
    message_ts: str | None = None,
    container: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    block_id: str | None = None,
    team_id: str = TEAM_ID,
) -> str:
    """A ``block_actions`` interaction (form ``payload=<json>``).

    ``value`` is a button's value, or an element state such as
    ``static_select("x")``.  Pass ``channel_id`` (and ``message_ts``) for a click
    in a message, or ``view`` (e.g. the ``view`` a fake ``views.open`` answered)
    for a click in a modal or the home tab; Slack gives a ``response_url`` only
    for messages.  ``container`` overrides the derived one.
    """
    source = _action_source(channel_id=channel_id, message_ts=message_ts, view=view, team_id=team_id)
    if container is not None:
        source["container"] = container
    if response_url is not None:
        source["response_url"] = response_url
    return _interaction(
        "block_actions",
        user_id=user_id,
        team_id=team_id,
        trigger_id=trigger_id,
        actions=[_action(action_id, block_id, value)],
        **source,
    )


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str = DEFAULT_USER_ID,
    view_id: str | None = None,
    private_metadata: str = "",
    hash: str | None = None,
    trigger_id: str | None = None,
    team_id: str = TEAM_ID,
) -> str:
    """A ``view_submission``; ``values`` is ``{block_id: {action_id: plain_text(...)}}``."""
    view = modal_view(
        callback_id, values, view_id=view_id, private_metadata=private_metadata, hash=hash, team_id=team_id
    )
    return _interaction(
        "view_submission", user_id=user_id, team_id=team_id, trigger_id=trigger_id, view=view, response_urls=[]
    )


def event(
    event: dict[str, Any], *, team_id: str = TEAM_ID, event_id: str | None = None, event_time: int | None = None
) -> str:
    """An Events API delivery: ``event`` wrapped in an ``event_callback`` envelope (JSON)."""
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or new_id("Ev"),
            "event_time": event_time or int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": secrets.token_hex(16),
        }
    )


def app_home_opened(user_id: str = DEFAULT_USER_ID, *, tab: str = "home", view: dict[str, Any] | None = None) -> dict:
    """The inner event Slack sends when a user opens the app's Home (or Messages) tab."""
    opened = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": dm_channel_id(user_id),
        "tab": tab,
        "event_ts": new_ts(),
    }
    if view is not None:
        opened["view"] = view
    return opened


# --------------------------------------------------------------------------
# Posting through Flask
# --------------------------------------------------------------------------

_DELIVERY_OPTIONS = ("retry_num", "timestamp", "sign", "bad_signature")


def _split_delivery(kw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate how to deliver (SlackClient.post options) from what to build."""
    delivery = {name: kw.pop(name) for name in _DELIVERY_OPTIONS if name in kw}
    return delivery, kw


class SlackClient:
    """Plays Slack against the app: builds, signs and POSTs to a Flask test client.

    Every method takes the builder's keyword arguments plus the delivery options
    of :meth:`post` (``retry_num``, ``timestamp``, ``sign``, ``bad_signature``)
    and returns the Flask response.  With a ``fake``, response URLs point at it,
    so ``respond()`` calls show up in ``fake.responses``.
    """

    def __init__(
        self,
        flask_client: FlaskClient,
        signing_secret: str,
        path: str = "/slack/events",
        fake: FakeSlackAPI | None = None,
    ):
        self.flask_client = flask_client
        self.signing_secret = signing_secret
        self.path = path
        self.fake = fake

    def command(
        self, text: str, user_id: str = DEFAULT_USER_ID, channel_id: str = DEFAULT_CHANNEL_ID, **kw: Any
    ) -> TestResponse:
        delivery, fields = _split_delivery(kw)
        self._default_response_url(fields)
        return self.post(slash_command(text, user_id=user_id, channel_id=channel_id, **fields), **delivery)

    def action(
        self, action_id: str, value: str | dict[str, Any] = "", user_id: str = DEFAULT_USER_ID, **kw: Any
    ) -> TestResponse:
        delivery, fields = _split_delivery(kw)
        if fields.get("view") is None:  # Slack gives no response_url in modals
            fields.setdefault("channel_id", DEFAULT_CHANNEL_ID)
            self._default_response_url(fields)
        return self.post(block_action(action_id, value, user_id=user_id, **fields), **delivery)

    def submit_view(
        self, callback_id: str, values: dict[str, Any], user_id: str = DEFAULT_USER_ID, **kw: Any
    ) -> TestResponse:
        delivery, fields = _split_delivery(kw)
        return self.post(view_submission(callback_id, values, user_id=user_id, **fields), **delivery)

    def event(self, inner_event: dict[str, Any], **kw: Any) -> TestResponse:
        delivery, fields = _split_delivery(kw)
        return self.post(event(inner_event, **fields), **delivery)

    def post(
        self,
        body: str,
        *,
        retry_num: int | None = None,
        timestamp: int | None = None,
        sign: bool = True,
        bad_signature: bool = False,
        buffered: bool = True,
    ) -> TestResponse:
        """POST ``body`` as Slack would.

        ``retry_num`` marks a redelivery (Slack retries when the app took over
        3 s); ``timestamp`` back-dates the request (bolt refuses ones older than
        5 minutes); ``sign=False`` omits the signature, ``bad_signature=True``
        signs with the wrong secret; ``buffered=False`` leaves the response open once its body
        is read, for the caller to close (a benchmark timing only what Slack waits for).
        """
        secret = self.signing_secret + "-wrong" if bad_signature else self.signing_secret
        headers = _sign(body, secret, timestamp)
        if not sign:
            headers = {"Content-Type": headers["Content-Type"]}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        # Buffered, so the response is read and closed as a server closes it once sent (the
        # app's after-the-answer work starts then).
        return self.flask_client.post(self.path, data=body, headers=headers, buffered=buffered)

    def _default_response_url(self, fields: dict[str, Any]) -> None:
        """Point the request's response_url at the fake, under a fresh name."""
        if self.fake is not None and fields.get("response_url") is None:
            fields["response_url"] = self.fake.response_url(new_id("R"))
