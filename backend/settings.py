"""One settings object, read from the environment with defaults that run on a laptop."""
import os
from dataclasses import dataclass, field
from urllib.parse import urlparse

DEFAULT_DATABASE_URL = "sqlite:///crg.db"
DEV_SECRET_KEY = "dev-only-secret-change-me"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# Placeholders until a deployment registers its own 360Giving prefix and funder identifier.
DEFAULT_GIVING360_PREFIX = "360G-example-pcc"
DEFAULT_GIVING360_FUNDER_ID = "GB-EXAMPLE-PCC"
DEFAULT_GIVING360_FUNDER_NAME = "Office of the Police and Crime Commissioner"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
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
    public_url: str = DEFAULT_PUBLIC_URL
    session_cookie_secure: bool | None = None  # None: secure unless PUBLIC_URL is plain http

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        env = os.environ if env is None else env
        admins = tuple(a.strip() for a in env.get("ADMIN_SLACK_IDS", "").replace(";", ",").split(",")
                       if a.strip())
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
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
            public_url=(env.get("PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/"),
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
        host = urlparse(self.public_url).hostname or ""
        local = host == "localhost" or host == "::1" or host.startswith("127.")
        return not (self.public_url.lower().startswith("http://") and local)

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)


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
