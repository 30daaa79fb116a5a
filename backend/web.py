"""The Flask app factory: the web front (health check, and the Slack endpoint once configured).

Every request gets an id (Heroku's `X-Request-ID`, else a new one) that is on each of its log
lines, on the response, and in any error message a person sees. A database that is down or
restarting answers a plain 503 ("try again"), never a traceback; the connection pool drops dead
connections on its own (it tests each one as it hands it out), so once the database is back the
next requests succeed without restarting the process.
"""
import logging
import time

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import InternalServerError

from backend import clock
from backend.database import UNAVAILABLE_ERRORS, connect_database, is_postgres, schema_version
from backend.finance_web import blueprint as finance_pages
from backend.logging_setup import (
    REQUEST_ID_HEADER,
    accepted_request_id,
    bind_request_id,
    current_request_id,
    log_event,
    one_line,
    unbind_request_id,
)
from backend.settings import Settings
from models import database
from models.migrations import head_version

log = logging.getLogger("crg.web")
VERSION = "0.1.0"
PLAIN_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def create_app(settings: Settings | None = None, slack_client=None) -> Flask:
    """The web app; `slack_client` replaces the Slack Web API client (tests, benchmarks)."""
    settings = settings or Settings.from_env()
    clock.set_zone(settings.timezone)
    if database.obj is None:
        connect_database(settings.database_url)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["CRG_SETTINGS"] = settings
    _install_request_hooks(app)
    _install_error_answers(app)

    @app.get("/healthz")
    def healthz():
        try:
            current = schema_version()
            reachable = True
        except UNAVAILABLE_ERRORS as error:
            log_event(log, "health_check_failed", logging.WARNING, error=one_line(error))
            current, reachable = None, False
        ok = reachable and current == head_version()
        body = {"status": "ok" if ok else "degraded", "version": VERSION,
                "database": "reachable" if reachable else "unreachable",
                "schema": {"current": current, "expected": head_version()}}
        return jsonify(body), 200 if ok else 503

    from bot.http import register_slack

    register_slack(app, settings, slack_client)
    app.register_blueprint(finance_pages)

    @app.get("/")
    def index():
        return ("CRG tracker is running. Slack talks to POST /slack/events; "
                "health: GET /healthz.\n", 200, PLAIN_TEXT)

    return app


SECRET_PATHS = ("/finance/login/",)


def _loggable(path: str) -> str:
    """The path for the log: a single-use sign-in token is a secret and stays out of it."""
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "…"
    return path


def _install_request_hooks(app: Flask) -> None:
    @app.before_request
    def _begin():
        g.crg_request_token = bind_request_id(
            accepted_request_id(request.headers.get(REQUEST_ID_HEADER)))
        g.crg_started = time.perf_counter()
        if request.endpoint != "healthz":  # it reports an unreachable database in its own words
            database.connect(reuse_if_open=True)

    @app.after_request
    def _log_request(response):
        response.headers[REQUEST_ID_HEADER] = current_request_id() or ""
        started = g.get("crg_started")
        log_event(log, "request", method=request.method, path=_loggable(request.path),
                  status=response.status_code,
                  ms=round((time.perf_counter() - started) * 1000) if started else None)
        return response

    @app.teardown_request
    def _end(_exc):
        try:
            # PostgreSQL: back to the pool (a dead one is dropped). SQLite: the thread keeps its
            # connection, since reopening means re-reading the schema and re-applying pragmas.
            if is_postgres() and not database.is_closed():
                database.close()
        finally:
            token = g.pop("crg_request_token", None)
            if token is not None:
                unbind_request_id(token)


def _install_error_answers(app: Flask) -> None:
    for error_class in UNAVAILABLE_ERRORS:
        app.register_error_handler(error_class, _database_unavailable)

    @app.errorhandler(InternalServerError)
    def _unexpected(_error):
        # Flask has already logged the traceback, on one line with this request's id.
        return (f"Something went wrong on our side (reference {current_request_id()}). "
                "Please try again; if it keeps happening, quote the reference.\n", 500, PLAIN_TEXT)


def _database_unavailable(error):
    log_event(log, "database_unavailable", logging.WARNING, path=_loggable(request.path),
              error=one_line(error))
    return (f"The database is not available just now, so this could not be done. Please try "
            f"again in a minute (reference {current_request_id()}).\n", 503,
            {**PLAIN_TEXT, "Retry-After": "30"})
