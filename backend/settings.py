"""One settings object, read from the environment with defaults that run on a laptop."""
import os
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite:///crg.db"
DEV_SECRET_KEY = "dev-only-secret-change-me"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# Placeholders until a deployment registers its own 360Giving prefix and funder identifier.
DEFAULT_GIVING360_PREFIX = "360G-example-pcc"
DEFAULT_GIVING360_FUNDER_ID = "GB-EXAMPLE-PCC"
DEFAULT_GIVING360_FUNDER_NAME = "Office of the Police and Crime Commissioner"


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
        )

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)
