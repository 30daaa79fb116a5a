"""The Flask app factory: the web front (health check, finance pages, and the Slack endpoint).

It is the composition root of the web process: it mounts the Slack front (`bot.http`) at
/slack/events beside its own pages. Each request is logged with its id (`request_log`), the same
id a person is shown beside an unexpected error. A database that is down or
restarting answers a plain 503 ("try again"), never a traceback; the connection pool drops dead
connections on its own (it tests each one as it hands it out), so once the database is back the
next requests succeed without restarting the process.
"""
import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import InternalServerError, RequestEntityTooLarge

from backend.domain import times
from backend.domain.database import (
    UNAVAILABLE_ERRORS,
    connect_database,
    head_version,
    is_configured,
    schema_version,
    unavailable_sentence,
)
from backend.logs import current_request_id, log_event
from backend.settings import Settings
from backend.web import request_log
from backend.web import dashboard, finance, opcc, papers

log = logging.getLogger("crg.web")
VERSION = "0.1.0"
# No request this app answers is anywhere near this: Slack's payloads are tens of kilobytes.
MAX_BODY = 1_000_000
PLAIN_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def create_app(settings: Settings | None = None, slack_client=None) -> Flask:
    """The web app; `slack_client` replaces the Slack Web API client (tests, benchmarks).

    Raises UnsafeSettings, before touching anything, when SECRET_KEY would let anyone forge a
    finance sign-in (see Settings.require_safe_secret)."""
    settings = settings or Settings.from_env()
    settings.require_safe_secret()
    times.set_zone(settings.timezone)
    if not is_configured():
        connect_database(settings.database_url)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["CRG_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY  # a larger body is refused before it is read
    request_log.install(app)
    _install_error_answers(app)

    @app.get("/healthz")
    def healthz():
        try:
            current = schema_version()
            reachable = True
        except UNAVAILABLE_ERRORS as error:
            log_event(log, "health_check_failed", logging.WARNING,
                      problem=unavailable_sentence(settings.database_url, error))
            current, reachable = None, False
        ok = reachable and current == head_version()
        body = {"status": "ok" if ok else "degraded", "version": VERSION,
                "database": "reachable" if reachable else "unreachable",
                "schema": {"current": current, "expected": head_version()}}
        return jsonify(body), 200 if ok else 503

    from bot.http import register_slack

    register_slack(app, settings, slack_client)
    for area in (finance, dashboard, opcc, papers):
        app.register_blueprint(area.blueprint)

    @app.get("/")
    def index():
        return ("CRG tracker is running. Slack talks to POST /slack/events; "
                "health: GET /healthz.\n", 200, PLAIN_TEXT)

    return app


def _install_error_answers(app: Flask) -> None:
    for error_class in UNAVAILABLE_ERRORS:
        app.register_error_handler(error_class, _database_unavailable)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error):
        return "This request is too large.\n", 413, PLAIN_TEXT

    @app.errorhandler(InternalServerError)
    def _unexpected(_error):
        # Flask has already logged the traceback, on one line with this request's id.
        return (f"Something went wrong on our side (reference {current_request_id()}). "
                "Please try again; if it keeps happening, quote the reference.\n", 500, PLAIN_TEXT)


def _database_unavailable(error):
    from flask import current_app

    log_event(log, "database_unavailable", logging.WARNING, path=request_log.loggable(request.path),
              problem=unavailable_sentence(current_app.config["CRG_SETTINGS"].database_url, error))
    return (f"The database is not available just now, so this could not be done. Please try "
            f"again in a minute (reference {current_request_id()}).\n", 503,
            {**PLAIN_TEXT, "Retry-After": "30"})
