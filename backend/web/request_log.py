"""Every web request's id, database connection and one log line.

Every request gets an id (Heroku's `X-Request-ID`, else a new one) that is on each of its log
lines, on the response, and in any error message a person sees; its line says what was asked,
the answer's status and how long it took, with any single-use sign-in token left out.
"""
import logging
import time

from flask import Flask, g, request

from backend.domain.database import ensure_connected, return_to_pool
from backend.logs import (
    REQUEST_ID_HEADER,
    accepted_request_id,
    bind_request_id,
    current_request_id,
    log_event,
    unbind_request_id,
)

log = logging.getLogger("crg.web")


SECRET_PATHS = ("/finance/login/",)


def loggable(path: str) -> str:
    """The path for the log: a single-use sign-in token is a secret and stays out of it."""
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "…"
    return path


def install(app: Flask) -> None:
    """Bind each request's id, connect its database, and log it in one line when it ends."""
    @app.before_request
    def _begin():
        g.crg_request_token = bind_request_id(
            accepted_request_id(request.headers.get(REQUEST_ID_HEADER)))
        g.crg_started = time.perf_counter()
        if request.endpoint != "healthz":  # it reports an unreachable database in its own words
            ensure_connected()

    @app.after_request
    def _log_request(response):
        response.headers[REQUEST_ID_HEADER] = current_request_id() or ""
        started = g.get("crg_started")
        log_event(log, "request", method=request.method, path=loggable(request.path),
                  status=response.status_code,
                  ms=round((time.perf_counter() - started) * 1000) if started else None)
        return response

    @app.teardown_request
    def _end(_exc):
        try:
            return_to_pool()
        finally:
            token = g.pop("crg_request_token", None)
            if token is not None:
                unbind_request_id(token)
