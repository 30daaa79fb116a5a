"""What a request must be before any of it is read as Slack's: signed by Slack, recent, small,
and shaped as Slack sends it.

The signature is checked on the raw bytes first, so nothing of an unsigned body is parsed,
acted on or logged (bolt itself parses a body before it checks the signature, and logs an
unsigned one whole). A signed body is then parsed once, into the request bolt dispatches
(`read`); one that is not in Slack's shape (malformed JSON, a `payload` that is not an object, a
form sent as JSON) is a 400, never a 500 or an apology. A body too large for the web app
(`backend.web.app.MAX_BODY`) is refused with 413 before it is read.
"""
import hmac
import json
import time
from hashlib import sha256
from urllib.parse import parse_qs

from slack_bolt.request import BoltRequest

MAX_AGE_SECONDS = 5 * 60  # Slack's own rule for a replayed request


def read(body: bytes, query: str, headers, content_type: str, secret: str,
         now: float | None = None) -> tuple[BoltRequest | None, tuple[int, str] | None]:
    """The request as bolt will dispatch it, or (None, (status, reason)) if it must be refused.

    Checked in that order: signed, then parsed once (bolt's own parsing, so what is checked is
    what is dispatched). Only a body that fails to parse, or parses into no Slack request, is
    looked at again, to say what is wrong with it."""
    unsigned = signature_problem(body, headers, secret, now)
    if unsigned is not None:
        return None, unsigned
    try:
        parsed = BoltRequest(body=body.decode("utf-8"), query=query, headers=headers)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        parsed = None  # bolt could not read it: _shape_problem says why
    if parsed is not None and isinstance(parsed.body, dict) and any(
            parsed.body.get(key) for key in ("type", "command", "ssl_check")):
        return parsed, None
    return None, (_shape_problem(body, content_type)
                  or (400, "The request is not a Slack command, interaction or event."))


def signature_problem(body: bytes, headers, secret: str,
                      now: float | None = None) -> tuple[int, str] | None:
    """(401, reason) unless Slack signed these bytes within the last five minutes."""
    stamp = headers.get("X-Slack-Request-Timestamp") or ""
    signature = headers.get("X-Slack-Signature") or ""
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        return 401, "This request is not signed by Slack."
    if abs((now or time.time()) - int(stamp)) > MAX_AGE_SECONDS:
        return 401, "This request is too old (Slack signs each request for five minutes)."
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body,
                                sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return 401, "This request is not signed by Slack."
    return None


def _shape_problem(body: bytes, content_type: str) -> tuple[int, str] | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "The request body is not text."
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            parsed = json.loads(text)
        except ValueError:
            return 400, "The request body is not JSON."
        return None if isinstance(parsed, dict) else (400, "The request body is not an object.")
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return 400, "The request's payload is not JSON."
        return None if isinstance(payload, dict) else (400, "The request's payload is not an "
                                                            "object.")
    if "command" in form or "ssl_check" in form:
        return None
    return 400, "The request is not a Slack command, interaction or event."
