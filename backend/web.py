"""The Flask app factory: the web front (health check, and the Slack endpoint once configured)."""
import logging

from flask import Flask, jsonify

from backend import clock
from backend.database import connect_database, schema_version
from backend.settings import Settings
from models import database
from models.migrations import head_version

log = logging.getLogger("crg.web")
VERSION = "0.1.0"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    clock.set_zone(settings.timezone)
    if database.obj is None:
        connect_database(settings.database_url)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["CRG_SETTINGS"] = settings

    @app.before_request
    def _open_connection():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _release_connection(_exc):
        if not database.is_closed():
            database.close()  # back to the pool on PostgreSQL

    @app.get("/healthz")
    def healthz():
        try:
            current = schema_version()
            reachable = True
        except Exception:
            log.warning("health check: database unreachable", exc_info=True)
            current, reachable = None, False
        ok = reachable and current == head_version()
        body = {"status": "ok" if ok else "degraded", "version": VERSION,
                "database": "reachable" if reachable else "unreachable",
                "schema": {"current": current, "expected": head_version()}}
        return jsonify(body), 200 if ok else 503

    @app.get("/")
    def index():
        return ("CRG tracker is running. Slack talks to POST /slack/events; "
                "health: GET /healthz.\n", 200, {"Content-Type": "text/plain; charset=utf-8"})

    return app
