"""One settings object, read from the environment with defaults that run on a laptop."""
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

APP_FOLDER = "crg-tracker"  # the per-user data folder's name
DEV_SECRET_KEY = "dev-only-secret-change-me"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# Placeholders until a deployment registers its own 360Giving prefix and funder identifier.
DEFAULT_GIVING360_PREFIX = "360G-example-pcc"
DEFAULT_GIVING360_FUNDER_ID = "GB-EXAMPLE-PCC"
DEFAULT_GIVING360_FUNDER_NAME = "Office of the Police and Crime Commissioner"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:3000"
MIN_SECRET_BYTES = 32


class UnsafeSettings(ValueError):
    """A setting that would leave the deployment open; `.message` says how to fix it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def data_folder(env=None) -> Path:
    """Where a laptop keeps the tracker's own data, whatever folder a command is run from:
    $XDG_DATA_HOME/crg-tracker, or ~/.local/share/crg-tracker (the XDG default)."""
    env = os.environ if env is None else env
    base = (env.get("XDG_DATA_HOME") or "").strip()
    if not base or not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / APP_FOLDER


def default_database_url(env=None) -> str:
    """The SQLite file used when DATABASE_URL is not set: one fixed place per user."""
    return f"sqlite:///{data_folder(env) / 'crg.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    secret_key: str = DEV_SECRET_KEY
    timezone: str = "Europe/London"
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = DEFAULT_SLACK_API_URL
    admin_slack_ids: tuple[str, ...] = field(default_factory=tuple)
    port: int = 3000
    giving360_prefix: str = DEFAULT_GIVING360_PREFIX
    giving360_funder_id: str = DEFAULT_GIVING360_FUNDER_ID
    giving360_funder_name: str = DEFAULT_GIVING360_FUNDER_NAME
    public_url: str = DEFAULT_PUBLIC_URL  # "": not known (see public_url_from)
    session_cookie_secure: bool | None = None  # None: secure unless PUBLIC_URL is plain http

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        env = os.environ if env is None else env
        admins = tuple(a.strip() for a in env.get("ADMIN_SLACK_IDS", "").replace(";", ",").split(",")
                       if a.strip())
        return cls(
            database_url=env.get("DATABASE_URL") or default_database_url(env),
            secret_key=env.get("SECRET_KEY") or DEV_SECRET_KEY,
            timezone=env.get("TIMEZONE") or "Europe/London",
            slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            slack_app_token=env.get("SLACK_APP_TOKEN", ""),
            slack_api_url=env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            admin_slack_ids=admins,
            port=int(env.get("PORT") or 3000),
            giving360_prefix=env.get("GIVING360_PREFIX") or DEFAULT_GIVING360_PREFIX,
            giving360_funder_id=env.get("GIVING360_FUNDER_ID") or DEFAULT_GIVING360_FUNDER_ID,
            giving360_funder_name=env.get("GIVING360_FUNDER_NAME") or DEFAULT_GIVING360_FUNDER_NAME,
            public_url=public_url_from(env),
            session_cookie_secure=_flag(env.get("SESSION_COOKIE_SECURE")),
        )

    @property
    def secure_cookies(self) -> bool:
        """Web session cookies go only over HTTPS, except on a laptop's own plain-http address.

        A browser does not keep a Secure cookie set over http://127.0.0.1, so a local PUBLIC_URL
        turns it off; anything else keeps it on. SESSION_COOKIE_SECURE overrides either way.
        """
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return not (self.public_url.lower().startswith("http://") and self.runs_on_this_machine)

    @property
    def runs_on_this_machine(self) -> bool:
        """PUBLIC_URL is this laptop's own address: nobody else can reach the pages."""
        host = urlparse(self.public_url).hostname or ""
        return host == "localhost" or host == "::1" or host.startswith("127.")

    def require_safe_secret(self) -> None:
        """Refuse to serve anyone else with a key that signs nothing safely.

        The finance page's session cookie is signed with SECRET_KEY: with the development key
        (printed in this file, for anyone to read) or a short one, anybody could write a cookie
        that signs them in as an admin. Only a laptop serving itself may run without one.
        """
        if self.runs_on_this_machine:
            return
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            what = ("is not set" if self.secret_key == DEV_SECRET_KEY
                    else f"is shorter than {MIN_SECRET_BYTES} characters")
            raise UnsafeSettings(
                f"SECRET_KEY {what}, so anyone could forge a finance sign-in: set a long random "
                "one before starting, e.g. heroku config:set SECRET_KEY=$(python3 -c "
                "'import secrets; print(secrets.token_hex(32))') on Heroku, or the same value in "
                "the environment elsewhere.")

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)


def public_url_from(env) -> str:
    """The app's address as people open it (the start of /crg login's links), or "" when it
    cannot be known safely: then /crg login says to set PUBLIC_URL rather than send a link to
    the wrong place.

    PUBLIC_URL wins (a bare host gets https://). Left empty or `auto`: on Heroku, the address
    Heroku itself gives the app (HEROKU_APP_DEFAULT_DOMAIN_NAME, set by Heroku when the
    runtime-dyno-metadata lab is on); on Heroku without it, none; off Heroku, this laptop's
    http://127.0.0.1:PORT. Never the Host header of a request, which anyone can write.
    """
    given = (env.get("PUBLIC_URL") or "").strip().rstrip("/")
    if given and given.lower() != "auto":
        return given if re.match(r"^https?://", given, re.IGNORECASE) else f"https://{given}"
    heroku = (env.get("HEROKU_APP_DEFAULT_DOMAIN_NAME") or "").strip().lower()
    if re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", heroku):
        return f"https://{heroku}"
    if env.get("DYNO"):  # on Heroku, and it did not say the app's address
        return ""
    return f"http://127.0.0.1:{int(env.get('PORT') or 3000)}"


def _flag(text: str | None) -> bool | None:
    """1/true/yes/on or 0/false/no/off; empty or unset: None (use the default)."""
    cleaned = (text or "").strip().lower()
    if not cleaned:
        return None
    if cleaned in ("1", "true", "yes", "on"):
        return True
    if cleaned in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"SESSION_COOKIE_SECURE must be 1 or 0 (true or false), not {text!r}")
