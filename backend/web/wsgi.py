"""What gunicorn serves in production: `gunicorn backend.web.wsgi:app` (see the Procfile).

Each worker waits briefly for the database as it boots, with one log line per try, and then
starts serving whether or not it answered: a worker that crashed instead would be restarted by
gunicorn and Heroku in a loop of tracebacks, while one that serves answers a plain 503 until the
database is back and then recovers by itself. The wait stays well inside gunicorn's 30-second
worker timeout, which also covers booting.
"""
import logging
import sys

from backend.domain.database import (
    UNAVAILABLE_ERRORS,
    connect_database,
    head_version,
    schema_version_at_boot,
    unavailable_sentence,
    wait_for_database,
)
from backend.domain.errors import DatabaseUnavailable
from backend.logs import configure_logging, log_event
from backend.settings import Settings, UnsafeSettings
from backend.web.app import VERSION, create_app

BOOT_ATTEMPTS = 4
BOOT_RETRY_DELAY = 2.0

log = logging.getLogger("crg.wsgi")


def build_app():
    configure_logging()
    settings = Settings.from_env()
    try:
        settings.require_safe_secret()
    except UnsafeSettings as refusal:
        log_event(log, "unsafe_settings", logging.CRITICAL, problem=refusal.message)
        sys.exit(3)
    try:
        connect_database(settings.database_url)
    except DatabaseUnavailable as refusal:  # nothing could ever be served: say why, once
        log_event(log, "database_misconfigured", logging.CRITICAL, problem=refusal.message)
        sys.exit(3)  # gunicorn's "worker failed to boot": it stops rather than loop
    if wait_for_database(BOOT_ATTEMPTS, BOOT_RETRY_DELAY):
        _report_schema()
    else:
        log_event(log, "serving_without_database", logging.ERROR,
                  detail="requests get a 503 until the database answers; no restart needed")
    return create_app(settings)


def _report_schema() -> None:
    try:
        current = schema_version_at_boot()
    except UNAVAILABLE_ERRORS as error:  # gone again already: /healthz will keep saying so
        log_event(log, "schema_unknown", logging.WARNING,
                  problem=unavailable_sentence(Settings.from_env().database_url, error))
        return
    if current != head_version():
        log_event(log, "schema_mismatch", logging.ERROR, current=current, expected=head_version(),
                  fix="run `crg db upgrade` (the Procfile's release phase does this on deploy)")
    else:
        log_event(log, "web_ready", version=VERSION, schema=current)


app = build_app()
