"""A fake Slack Web API served over real HTTP on 127.0.0.1.

The code under test keeps using an unmodified ``slack_sdk.WebClient``; only its
``base_url`` points here.  Because the fake speaks HTTP, the whole client stack
(argument encoding, the ``Authorization`` header, retry handlers, the separate
upload step of ``files_upload_v2``, bolt's ``respond()``) is exercised the way it
is against Slack.

Every call is checked against Slack's published OpenAPI description of the Web
API (``tests/schemas/slack-web-api.openapi2.json``), so a test fails on a typo'd
method or a forgotten required argument that a hand-written mock would accept.
Problems are collected in :attr:`FakeSlackAPI.violations` and answered with the
error Slack itself would send.

Run standalone for whole-process tests::

    python -m tests.slack.fake_api --port 0 --record calls.jsonl

prints ``READY <base_url>`` once listening and appends every call to the file as
one JSON line (read it back with :func:`read_recording`).
"""

from __future__ import annotations

import argparse
import functools
import json
import secrets
import signal
import socket
import struct
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from email import policy
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.slack import block_kit
from tests.slack.ids import (
    APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_ID,
    WORKSPACE_URL,
    default_name,
    dm_channel_id,
    new_id,
    new_ts,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = PROJECT_ROOT / "tests" / "schemas" / "slack-web-api.openapi2.json"

# The spec is from 2021; methods added since are described here by hand
# (name -> required arguments, token aside).
METHODS_NEWER_THAN_SPEC: dict[str, frozenset[str]] = {
    "files.getUploadURLExternal": frozenset({"filename", "length"}),
    "files.completeUploadExternal": frozenset({"files"}),
}

# Still in the 2021 spec but switched off by Slack since; answering them "ok"
# would let code pass here that fails in production.
RETIRED_METHODS: dict[str, str] = {
    "files.upload": "retired by Slack in 2025; use files_upload_v2",
}

# Slack refuses a message with none of these ("no_text"), although the spec
# marks none of them required on its own.
MESSAGE_CONTENT_ARGS = ("text", "blocks", "attachments")
METHODS_NEEDING_CONTENT = frozenset({"chat.postMessage", "chat.postEphemeral"})

RESPONSE_URL_METHOD = "response_url"
POST_RATE, POST_BURST = 1.0, 5  # chat.postMessage: messages a second per channel, and a burst


# --------------------------------------------------------------------------
# The published API description
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodSpec:
    """What the fake checks for one Web API method."""

    required: frozenset[str]
    needs_token: bool


@functools.lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """The OpenAPI document, parsed once per process (it is about 1 MB)."""
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@functools.cache
def method_spec(method: str) -> MethodSpec | None:
    """Required arguments of ``method``, or ``None`` if Slack has no such method.

    ``token`` is left out of the required set: slack_sdk sends it in the
    ``Authorization`` header, which is checked separately (only for methods that
    take a token at all; ``api.test`` and the ``oauth.*`` family do not).
    """
    if method in METHODS_NEWER_THAN_SPEC:
        return MethodSpec(required=METHODS_NEWER_THAN_SPEC[method], needs_token=True)
    operations = load_spec()["paths"].get("/" + method)
    if operations is None:
        return None
    parameters = [p for operation in operations.values() for p in operation.get("parameters", [])]
    return MethodSpec(
        required=frozenset(p["name"] for p in parameters if p.get("required") and p["name"] != "token"),
        needs_token=any(p["name"] == "token" for p in parameters),
    )


@dataclass(frozen=True)
class Problem:
    """One way a call breaks Slack's contract: the error Slack answers, and why."""

    error: str
    message: str


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})


def content_problems(method: str, args: dict[str, Any]) -> list[Problem]:
    """What Slack refuses in a message's or a view's content (`invalid_blocks`,
    `msg_too_long`): nothing the app builds may be lost to Slack's refusal in production."""
    if method in MESSAGE_METHODS:
        found = block_kit.message_problems(args, decoded(args.get("blocks")))
    elif method in VIEW_METHODS:
        found = block_kit.view_problems(decoded(args.get("view")))
    else:
        return []
    return [Problem("msg_too_long" if "message text" in f else "invalid_blocks", f"{method}: {f}")
            for f in found]


def find_problems(method: str, args: dict[str, Any], headers: dict[str, str]) -> list[Problem]:
    """Everything wrong with a call, in the order Slack would complain."""
    spec = method_spec(method)
    if spec is None:
        return [Problem("unknown_method", f"{method}: no such Slack Web API method")]
    problems = []
    if method in RETIRED_METHODS:
        problems.append(Problem("method_deprecated", f"{method}: {RETIRED_METHODS[method]}"))
    if spec.needs_token and not headers.get("authorization", "").startswith("Bearer "):
        problems.append(Problem("not_authed", f"{method}: no 'Authorization: Bearer <token>' header"))
    missing = sorted(name for name in spec.required if _is_blank(args.get(name)))
    if missing:
        problems.append(Problem("invalid_arguments", f"{method}: missing required argument(s): {', '.join(missing)}"))
    if method in METHODS_NEEDING_CONTENT and all(_is_blank(args.get(a)) for a in MESSAGE_CONTENT_ARGS):
        problems.append(Problem("no_text", f"{method}: needs one of {', '.join(MESSAGE_CONTENT_ARGS)}"))
    try:
        problems += content_problems(method, args)
    except (ValueError, TypeError, AttributeError) as error:  # blocks that are not even JSON
        problems.append(Problem("invalid_blocks", f"{method}: unreadable blocks ({error})"))
    return problems


# --------------------------------------------------------------------------
# Request bodies
# --------------------------------------------------------------------------


def _mime_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def parse_multipart(content_type: str, body: bytes) -> dict[str, str | bytes]:
    """Fields of a ``multipart/form-data`` body; file parts stay bytes.

    Uses the stdlib email parser because ``cgi`` is gone from Python 3.13.
    """
    envelope = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = BytesParser(policy=policy.HTTP).parsebytes(envelope)
    fields: dict[str, str | bytes] = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True) or b""
        name = part.get_param("name", header="content-disposition")
        fields[name] = payload if part.get_filename() else payload.decode("utf-8")
    return fields


def parse_args(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """Arguments of a call, from the query string and a form, multipart or JSON body.

    slack_sdk posts some methods as JSON (chat.*, views.*: values keep their
    types) and others as forms (structured values arrive as JSON *strings*).
    Raises ``ValueError`` on a body that claims to be JSON but is not an object.
    """
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    mime = _mime_type(content_type)
    if mime == "application/json":
        parsed = json.loads(body or b"{}")
        if not isinstance(parsed, dict):
            raise ValueError("JSON body is not an object")
        args.update(parsed)
    elif mime == "multipart/form-data":
        args.update(parse_multipart(content_type, body))
    elif body:
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return args


def decoded(value: Any) -> Any:
    """A structured argument as data, whether it came as JSON text (forms) or not."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        return json.loads(value)
    return value


def uploaded_bytes(content_type: str, body: bytes) -> bytes:
    """The file content of a POST to an upload URL.

    slack_sdk's ``files_upload_v2`` sends the raw bytes as the whole body (and
    urllib labels them ``application/x-www-form-urlencoded``, so the label must
    not be trusted); other clients send multipart, whose file part is taken.
    """
    if _mime_type(content_type) != "multipart/form-data":
        return body
    fields = parse_multipart(content_type, body)
    files = [value for value in fields.values() if isinstance(value, bytes)]
    return files[0] if files else b""


# --------------------------------------------------------------------------
# Records and replies
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request the fake received.

    ``headers`` has lower-cased names.  ``answered`` tells how it was answered:
    ``"ok"``, ``"429"``, ``"503"``, ``"reset"`` or ``"error:<code>"``.
    """

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    answered: str = "ok"
    path: str = ""

    def arg(self, name: str) -> Any:
        """An argument with JSON-text values (``blocks`` in a form, say) decoded."""
        return decoded(self.args.get(name))

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=lambda raw: f"<{len(raw)} bytes>")

    @classmethod
    def from_json(cls, line: str) -> Call:
        return cls(**json.loads(line))


def read_recording(path: str | Path) -> list[Call]:
    """The calls a standalone fake appended to ``path`` (see ``--record``)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines() if Path(path).exists() else []
    return [Call.from_json(line) for line in lines if line.strip()]


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers, body; or, with ``reset``, none at all (the connection
    is reset instead)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False

    @classmethod
    def json(cls, payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode("utf-8"), all_headers)

    @classmethod
    def error(cls, error: str) -> Reply:
        """How Slack reports a failed call: HTTP 200 with ``ok: false``."""
        return cls.json({"ok": False, "error": error})


@dataclass(frozen=True)
class Fault:
    """A queued bad answer for the next call to a method; with ``after_success`` the call is
    carried out first (a message posted, say) and only its answer is bad."""

    label: str
    reply: Reply
    after_success: bool = False


class SlackError(Exception):
    """Raised by a responder to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, message: str):
        super().__init__(message)
        self.problem = Problem(error, message)


Responder = Callable[["FakeSlackAPI", dict[str, Any]], dict[str, Any]]
_RESPONDERS: dict[str, Responder] = {}


def _responds_to(*methods: str) -> Callable[[Responder], Responder]:
    """Register a method's success answer (the fields besides ``ok``)."""

    def register(responder: Responder) -> Responder:
        for method in methods:
            _RESPONDERS[method] = responder
        return responder

    return register


# --------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------


class FakeSlackAPI:
    """Slack's Web API, response URLs and file upload URLs, on a local port.

    Thread-safe: the app under test may call it from worker threads or other
    processes while the test reads :attr:`calls`.
    """

    def __init__(self, port: int = 0, record_path: str | Path | None = None):
        self._requested_port = port
        self._record_path = Path(record_path) if record_path else None
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._violations: list[str] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, str] = {}
        self._pending_uploads: dict[str, dict[str, Any]] = {}
        self._uploaded_files: dict[str, dict[str, Any]] = {}
        # Files people shared with the app (a file_input in a modal): files.info describes them,
        # and their url_private_download serves the bytes to a bearer of a token.
        self._shared_files: dict[str, dict[str, Any]] = {}
        # Every accepted chat.postMessage, per conversation id (a DM's "D…" id for a user id),
        # oldest first: what conversations.history answers from.
        self._posted: dict[str, list[dict[str, Any]]] = defaultdict(list)
        # Slack's limit on chat.postMessage: about one message per second per channel, with
        # short bursts (a bucket of POST_BURST refilled at POST_RATE a second); then 429 with
        # Retry-After. None switches it off (a test that sweeps a year in seconds of real time).
        self.post_rate: tuple[float, int] | None = (POST_RATE, POST_BURST)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._down = False  # an outage: every API call answers 503 until it ends
        self._delays: dict[str, deque[float]] = defaultdict(deque)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", self._requested_port), _Handler, fake=self)
        # A short poll interval keeps stop() fast; the default makes it wait 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlackAPI is not started")
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``WebClient(base_url=...)``; the trailing slash matters (urljoin)."""
        return f"{self.origin}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A ``response_url`` whose posts are recorded as ``response_url`` calls."""
        return f"{self.origin}/response/{name}"

    # -- what was received -------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    @property
    def violations(self) -> list[str]:
        with self._lock:
            return list(self._violations)

    @property
    def responses(self) -> list[Call]:
        """Posts to response URLs; ``args`` is the JSON message, ``path`` names the URL."""
        return self.calls_to(RESPONSE_URL_METHOD)

    @property
    def uploaded_files(self) -> dict[str, dict[str, Any]]:
        """Completed uploads: file id -> filename, title, bytes, channel_id, channels, ..."""
        with self._lock:
            return {file_id: dict(entry) for file_id, entry in self._uploaded_files.items()}

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def last(self, method: str) -> Call:
        calls = self.calls_to(method)
        if not calls:
            raise AssertionError(f"no call to {method}; calls: {self._methods_seen()}")
        return calls[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls to ``method`` arrived, for code that calls
        from a worker thread or another process; ``AssertionError`` on timeout."""
        with self._lock:
            arrived = self._lock.wait_for(lambda: self._count(method) >= count, timeout=timeout)
        if not arrived:
            raise AssertionError(
                f"expected {count} call(s) to {method} within {timeout}s, got {self._count(method)}; "
                f"calls: {self._methods_seen()}"
            )
        return self.calls_to(method)

    def reset(self) -> None:
        """Forget calls, violations, uploads and queued faults; keep registered users and channels,
        and what was posted (conversation history outlives a test's bookkeeping)."""
        with self._lock:
            self._calls.clear()
            self._violations.clear()
            self._faults.clear()
            self._pending_uploads.clear()
            self._uploaded_files.clear()
            self._buckets.clear()
            self._delays.clear()
            self._down = False

    def posted(self, channel: str) -> list[dict[str, Any]]:
        """Messages accepted in a conversation (a user id means the bot's DM), oldest first:
        ts, text, blocks, bot_id and metadata, as conversations.history would show them."""
        with self._lock:
            return [dict(message) for message in self._posted.get(_conversation_id(channel), [])]

    def _count(self, method: str) -> int:
        with self._lock:
            return sum(1 for call in self._calls if call.method == method)

    def _methods_seen(self) -> list[str]:
        return [call.method for call in self.calls]

    # -- workspace contents --------------------------------------------------

    def add_user(self, user_id: str, real_name: str, email: str | None = None) -> None:
        """Make ``users.info`` describe ``user_id`` this way (others get a default)."""
        with self._lock:
            self._users[user_id] = {"real_name": real_name, "email": email}

    def add_file(self, name: str, content: bytes, mimetype: str = "application/pdf", *,
                 servable: bool = True, size: int | None = None) -> str:
        """A file a person uploaded (say, through a modal's file_input): its new id. A file
        that is not `servable` is described by files.info but its download fails (404), as
        when Slack has lost it; `size` overrides the size files.info reports."""
        file_id = new_id("F")
        with self._lock:
            self._shared_files[file_id] = {"name": name, "bytes": content, "mimetype": mimetype,
                                           "servable": servable,
                                           "size": len(content) if size is None else size}
        return file_id

    def add_channel(self, channel_id: str, name: str) -> None:
        """Make ``conversations.info`` name ``channel_id`` this way."""
        with self._lock:
            self._channels[channel_id] = name

    # -- fault injection -------------------------------------------------------

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls with HTTP 429 and ``Retry-After``."""
        reply = Reply.json({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(retry_after)})
        self._queue(method, Fault("429", reply), times)

    def fail(self, method: str, error: str = "channel_not_found", times: int = 1) -> None:
        """Answer the next ``times`` calls with HTTP 200 ``{"ok": false, "error": error}``."""
        self._queue(method, Fault(f"error:{error}", Reply.error(error)), times)

    def server_error(self, method: str, status: int = 503, times: int = 1, *,
                     after_posting: bool = False) -> None:
        """Answer the next ``times`` calls with a bare HTTP ``status`` (no JSON).

        By default Slack did nothing. ``after_posting=True`` is Slack's edge failing after the
        call was carried out behind it: a chat.postMessage is stored (conversations.history
        shows it) and the client still gets only the 5xx.
        """
        reply = Reply(status, HTTPStatus(status).phrase.encode(), {"Content-Type": "text/plain"})
        self._queue(method, Fault(str(status), reply, after_posting), times)

    def reset_connection(self, method: str, times: int = 1, *, after_posting: bool = False) -> None:
        """Drop the connection of the next ``times`` calls once their request has arrived,
        without answering: the client sees it reset (``RemoteDisconnected``, a
        ``ConnectionResetError``). ``after_posting`` as in :meth:`server_error`. Recorded as
        ``"reset"``."""
        self._queue(method, Fault("reset", Reply(0, b"", reset=True), after_posting), times)

    def outage(self, down: bool = True) -> None:
        """Slack goes down (every Web API call answers a bare 503, doing nothing) or, with
        ``down=False``, comes back."""
        with self._lock:
            self._down = down

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` only after ``seconds`` (Slack being
        slow), having carried them out as usual."""
        with self._lock:
            self._delays[method].extend([seconds] * times)

    def _rate_limited(self, method: str, args: dict[str, Any]) -> bool:
        """Whether this chat.postMessage is over its channel's rate (and so refused)."""
        if method != "chat.postMessage" or self.post_rate is None or not args.get("channel"):
            return False
        rate, burst = self.post_rate
        channel = _conversation_id(str(args["channel"]))
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(channel, (float(burst), now))
            tokens = min(float(burst), tokens + (now - then) * rate)
            if tokens < 1:
                self._buckets[channel] = (tokens, now)
                return True
            self._buckets[channel] = (tokens - 1, now)
            return False

    def _queue(self, method: str, fault: Fault, times: int) -> None:
        with self._lock:
            self._faults[method].extend([fault] * times)

    def _next_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None

    # -- HTTP entry point ----------------------------------------------------

    def handle(self, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one HTTP request (headers with lower-cased names).

        Anything the fake cannot cope with becomes a violation and an HTTP 500,
        so a test asserting ``violations == []`` notices instead of a thread
        dying quietly in the server.
        """
        try:
            return self._route(path, query, headers, body)
        except Exception as error:  # noqa: BLE001 -- any failure must reach the test
            with self._lock:
                self._violations.append(f"{path}: the fake could not handle this request: {error!r}")
            return Reply(500, repr(error).encode(), {"Content-Type": "text/plain"})

    def _route(self, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        prefix, _, name = path.lstrip("/").partition("/")
        content_type = headers.get("content-type", "")
        if prefix == "api" and name:
            return self._api_call(name, path, query, headers, body)
        if prefix == "response" and name:
            return self._response_url_post(path, headers, parse_args(content_type, body, query))
        if prefix == "upload" and name:
            return self._upload(name, uploaded_bytes(content_type, body))
        if prefix == "files" and name:
            return self._download(name.split("/", 1)[0], headers)
        return Reply(404, b"Not Found", {"Content-Type": "text/plain"})

    def _api_call(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        try:
            args = parse_args(headers.get("content-type", ""), body, query)
            problems = find_problems(method, args, headers)
        except ValueError as error:  # json.JSONDecodeError included
            args, problems = {}, [Problem("invalid_json", f"{method}: body is not a JSON object ({error})")]
        fault = self._next_fault(method)
        with self._lock:
            down = self._down
            pause = self._delays[method].popleft() if self._delays.get(method) else 0.0
        if down:
            reply = Reply(503, b"Service Unavailable", {"Content-Type": "text/plain"})
            self._record(Call(method, args, headers, time.time(), "503", path), [])
            return reply
        if pause:
            time.sleep(pause)
        if fault is not None:
            reply, answered = fault.reply, fault.label
            if fault.after_success and not problems:
                _, _, problems = self._success(method, args)
        elif not problems and self._rate_limited(method, args):
            reply = Reply.json({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"})
            answered = "429"
        elif problems:
            reply, answered = Reply.error(problems[0].error), f"error:{problems[0].error}"
        else:
            reply, answered, problems = self._success(method, args)
        self._record(Call(method, args, headers, time.time(), answered, path), problems)
        return reply

    def _success(self, method: str, args: dict[str, Any]) -> tuple[Reply, str, list[Problem]]:
        """The realistic answer; a responder may still refuse (unknown file id...)."""
        responder = _RESPONDERS.get(method, lambda fake, args: {})
        try:
            with self._lock:
                payload = responder(self, args)
        except SlackError as refusal:
            return Reply.error(refusal.problem.error), f"error:{refusal.problem.error}", [refusal.problem]
        return Reply.json({"ok": True, **payload}), "ok", []

    def _response_url_post(self, path: str, headers: dict[str, str], message: dict[str, Any]) -> Reply:
        """bolt's ``respond()`` posts JSON here; recorded like an API call."""
        fault = self._next_fault(RESPONSE_URL_METHOD)
        reply, answered = (fault.reply, fault.label) if fault else (Reply.json({"ok": True}), "ok")
        problems = [Problem("invalid_blocks", f"response_url: {f}") for f in
                    block_kit.message_problems(message, decoded(message.get("blocks")))]
        self._record(Call(RESPONSE_URL_METHOD, message, headers, time.time(), answered, path),
                     problems)
        return reply

    def _upload(self, file_id: str, content: bytes) -> Reply:
        with self._lock:
            pending = self._pending_uploads.get(file_id)
            if pending is None:
                return Reply(404, b"unknown upload URL", {"Content-Type": "text/plain"})
            pending["bytes"] = content
        return Reply(200, f"OK - {len(content)}".encode(), {"Content-Type": "text/plain"})

    def _download(self, file_id: str, headers: dict[str, str]) -> Reply:
        """A file's url_private_download: the bytes for a bearer of a token, as on Slack
        (without one, Slack answers with its sign-in page)."""
        with self._lock:
            shared = self._shared_files.get(file_id)
        self._record(Call("file_download", {"file": file_id}, headers, time.time(),
                          "ok" if shared else "404", f"/files/{file_id}"), [])
        if not headers.get("authorization", "").startswith("Bearer "):
            return Reply(200, b"<html>sign in</html>", {"Content-Type": "text/html"})
        if shared is None or not shared["servable"]:
            return Reply(404, b"Not Found", {"Content-Type": "text/plain"})
        return Reply(200, shared["bytes"], {"Content-Type": shared["mimetype"]})

    def _record(self, call: Call, problems: Iterable[Problem]) -> None:
        with self._lock:
            self._calls.append(call)
            self._violations.extend(problem.message for problem in problems)
            if self._record_path is not None:
                with self._record_path.open("a", encoding="utf-8") as recording:
                    recording.write(call.to_json() + "\n")
            self._lock.notify_all()

    # -- success answers (called with the lock held) ---------------------------

    @_responds_to("auth.test")
    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": WORKSPACE_URL,
            "team": "CRG Test",
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    @_responds_to("chat.postMessage")
    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = new_ts()
        channel = _conversation_id(args["channel"])
        message = _bot_message(args, ts)
        metadata = decoded(args.get("metadata"))
        stored = dict(message, metadata=metadata) if metadata else message
        self._posted[channel].append(stored)
        return {"channel": channel, "ts": ts, "message": message}

    @_responds_to("conversations.history")
    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Newest first, between ``oldest`` and ``latest`` (both exclusive unless ``inclusive``),
        ``limit`` at a time (Slack's default 100) from ``cursor``; metadata only when asked for
        with ``include_all_metadata``, as on Slack."""
        inclusive = _truthy(args.get("inclusive"))
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        with_metadata = _truthy(args.get("include_all_metadata"))

        def within(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        if not args.get("channel"):  # the 2021 spec forgets to mark it required
            raise SlackError("channel_not_found", "conversations.history: no channel given")
        found = [m for m in reversed(self._posted.get(args["channel"], [])) if within(float(m["ts"]))]
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = found[start:start + limit]
        more = start + limit < len(found)
        messages = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
        return {
            "messages": messages,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    @_responds_to("chat.update")
    def _update_message(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "channel": args["channel"],
            "ts": args["ts"],
            "text": args.get("text", ""),
            "message": _bot_message(args, args["ts"]),
        }

    @_responds_to("chat.postEphemeral")
    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": new_ts()}

    @_responds_to("chat.delete")
    def _delete_message(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": args.get("channel"), "ts": args.get("ts")}

    @_responds_to("conversations.open")
    def _open_conversation(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [user for user in str(args.get("users", "")).split(",") if user]
        if args.get("channel"):
            channel_id = args["channel"]
        elif len(users) == 1:
            channel_id = dm_channel_id(users[0])
        else:  # a group DM: stable for the same set of people
            channel_id = "G" + "".join(sorted(user[1:] for user in users))
        return {"no_op": True, "already_open": True, "channel": {"id": channel_id}}

    @_responds_to("conversations.info")
    def _conversation_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = args.get("channel", "")
        return {
            "channel": {
                "id": channel_id,
                "name": self._channels.get(channel_id, default_name(channel_id)),
                "is_channel": channel_id.startswith("C"),
                "is_im": channel_id.startswith("D"),
                "is_private": channel_id.startswith("G"),
            }
        }

    @_responds_to("views.open", "views.push", "views.update", "views.publish")
    def _view(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or new_id("V")
        given = decoded(args.get("view")) or {}
        return {
            "view": {
                "type": "modal",
                "blocks": [],
                "private_metadata": "",
                "callback_id": "",
                "external_id": "",
                **given,
                "id": view_id,
                "team_id": TEAM_ID,
                "state": {"values": {}},
                "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
                "root_view_id": view_id,
                "previous_view_id": None,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
            }
        }

    @_responds_to("users.info")
    def _user_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user", "")
        known = self._users.get(user_id, {})
        real_name = known.get("real_name") or default_name(user_id).title()
        email = known.get("email") or f"{default_name(user_id)}@example.org"
        return {
            "user": {
                "id": user_id,
                "team_id": TEAM_ID,
                "name": default_name(user_id),
                "real_name": real_name,
                "deleted": False,
                "is_bot": False,
                "tz": "Europe/London",
                "tz_label": "Greenwich Mean Time",
                "tz_offset": 0,
                "profile": {"real_name": real_name, "display_name": real_name.split()[0], "email": email},
            }
        }

    @_responds_to("files.info")
    def _file_info(self, args: dict[str, Any]) -> dict[str, Any]:
        shared = self._shared_files.get(str(args.get("file", "")))
        if shared is None:
            raise SlackError("file_not_found", f"files.info: no file {args.get('file')}")
        file_id = args["file"]
        return {"file": {"id": file_id, "name": shared["name"], "title": shared["name"],
                         "mimetype": shared["mimetype"], "size": shared["size"],
                         "url_private": f"{self.origin}/files/{file_id}/{shared['name']}",
                         "url_private_download":
                             f"{self.origin}/files/{file_id}/download/{shared['name']}"}}

    @_responds_to("files.getUploadURLExternal")
    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = new_id("F")
        self._pending_uploads[file_id] = {"filename": args["filename"], "length": int(args["length"]), "bytes": None}
        return {"upload_url": f"{self.origin}/upload/{file_id}", "file_id": file_id}

    @_responds_to("files.completeUploadExternal")
    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = decoded(args["files"])
        for file in files:
            if self._pending_uploads.get(file["id"], {}).get("bytes") is None:
                raise SlackError("file_not_found", f"files.completeUploadExternal: {file['id']} was never uploaded")
        shared = {
            "channel_id": args.get("channel_id"),
            "channels": [c for c in str(args.get("channels", "")).split(",") if c],
            "initial_comment": args.get("initial_comment"),
            "thread_ts": args.get("thread_ts"),
        }
        for file in files:
            upload = self._pending_uploads.pop(file["id"])
            title = file.get("title") or upload["filename"]
            self._uploaded_files[file["id"]] = {**upload, "title": title, **shared}
        if args.get("channel_id"):  # shared into a conversation: a message with the files in it
            message = _bot_message({"text": args.get("initial_comment") or ""}, new_ts())
            message["files"] = [{"id": f["id"], "title": self._uploaded_files[f["id"]]["title"],
                                 "name": self._uploaded_files[f["id"]]["filename"]} for f in files]
            self._posted[args["channel_id"]].append(message)
        return {"files": [{"id": f["id"], "title": self._uploaded_files[f["id"]]["title"]} for f in files]}


def _conversation_id(channel: str) -> str:
    """Posting to a user id lands in the bot's DM with that user, as on Slack."""
    return dm_channel_id(channel) if channel.startswith(("U", "W")) else channel


def _truthy(value: Any) -> bool:
    """A boolean argument as slack_sdk sends it ("1"/"0") or as JSON (true/false)."""
    return value is True or str(value).lower() in ("1", "true")


def _bot_message(args: dict[str, Any], ts: str) -> dict[str, Any]:
    """The message object Slack echoes back for something the bot posted."""
    message = {
        "type": "message",
        "text": args.get("text", ""),
        "blocks": decoded(args.get("blocks")) or [],
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "ts": ts,
    }
    if args.get("thread_ts"):
        message["thread_ts"] = args["thread_ts"]
    return message


# --------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], *, fake: FakeSlackAPI):
        super().__init__(address, handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self._send(self.server.fake.handle(url.path, url.query, headers, body))

    do_POST = do_GET

    def _send(self, reply: Reply) -> None:
        if reply.reset:  # SO_LINGER 0: closing sends a TCP RST, not an answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: calls are recorded on the fake, stderr lines would only be noise."""


# --------------------------------------------------------------------------
# Standalone process
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--record", help="append each call to this file as a JSON line")
    parser.add_argument("--post-rate", default=f"{POST_RATE:g}/{POST_BURST}",
                        help="chat.postMessage per second per channel / burst, or off")
    options = parser.parse_args(argv)
    # SIGTERM (what Popen.terminate sends) must stop the server cleanly too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with FakeSlackAPI(port=options.port, record_path=options.record) as fake:
        if options.post_rate == "off":
            fake.post_rate = None
        else:
            rate, burst = options.post_rate.split("/")
            fake.post_rate = (float(rate), int(burst))
        print(f"READY {fake.base_url}", flush=True)
        try:
            while True:
                signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
