"""One log line per event, each carrying the id of the request (or job) it belongs to.

Heroku's router gives every request an `X-Request-ID` and prints it in its own log line; using
the same id in our lines, and showing it to the person as the error reference, means one search
finds the router's line, ours and the user's complaint. Lines are logfmt (`key=value`), which
Heroku's log tools parse, and a traceback is folded into one quoted value, because a log drain
treats every physical line as a separate event.

The id lives in a context variable, not in Flask's `g`, so that the services, the Slack front and
the clock can read it without importing Flask: `current_request_id()`. Work that does not arrive
as an HTTP request (a Socket Mode event, a clock job) wraps itself in `request_context()`.
"""
import json
import logging
import re
import sys
import uuid
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import datetime, timezone

REQUEST_ID_HEADER = "X-Request-ID"
# Heroku's own ids are 20-200 characters of [A-Za-z0-9+/=-]; anything else a client sends (or a
# value built to break a log line) is replaced by an id of our own.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9+/=_.:-]{8,200}")
_request_id: ContextVar[str | None] = ContextVar("crg_request_id", default=None)
_HANDLER_MARK = "_crg_logfmt"


def new_request_id() -> str:
    return str(uuid.uuid4())


def accepted_request_id(incoming: str | None) -> str:
    """The caller's id if it is a sane one (Heroku's router sends one), otherwise a new one."""
    if incoming and _ACCEPTABLE_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str | None:
    """The id of the request or event being handled: the reference to show a person next to an
    unexpected error, since the log lines of that request carry the same id. None outside one."""
    return _request_id.get()


def bind_request_id(request_id: str) -> Token:
    """For hooks that cannot wrap the work in a `with` (Flask's before/teardown pair)."""
    return _request_id.set(request_id)


def unbind_request_id(token: Token) -> None:
    _request_id.reset(token)


@contextmanager
def request_context(request_id: str | None = None):
    """Bind an id (the given one if sane, else a new one) for the duration of one unit of work."""
    token = _request_id.set(accepted_request_id(request_id))
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, *,
              exc_info: bool | BaseException = False, **fields) -> None:
    """Log one event as `event=NAME key=value ...` (with the traceback folded in, if asked)."""
    logger.log(level, event, exc_info=exc_info, extra={"crg_event": event, "crg_fields": fields})


def one_line(error: BaseException) -> str:
    """An exception as one short line (driver messages often span several)."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _value(value) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and not any(c in text for c in ' ="\\') and text.isprintable():
        return text
    return json.dumps(text, ensure_ascii=False)


class LogfmtFormatter(logging.Formatter):
    """`time=... level=... logger=... request_id=... event=...|msg=... key=value ... error=...`"""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, timezone.utc)
        fields = {"time": stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                  "level": record.levelname.lower(), "logger": record.name}
        request_id = _request_id.get()
        if request_id:
            fields["request_id"] = request_id
        event = getattr(record, "crg_event", None)
        if event:
            fields["event"] = event
            fields.update(getattr(record, "crg_fields", {}))
        else:
            fields["msg"] = record.getMessage()
        if record.exc_info:
            fields["traceback"] = self.formatException(record.exc_info)
        elif record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        return " ".join(f"{key}={_value(value)}" for key, value in fields.items()
                        if value is not None)


def configure_logging(level: int = logging.INFO, stream=None) -> None:
    """Send every log record, one line each, to stderr (Heroku collects it). Idempotent."""
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(LogfmtFormatter())
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    # The development server's own access lines would duplicate our request lines.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
