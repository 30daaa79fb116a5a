"""`crg socket`: the same bolt app over Socket Mode, for local development without a public URL.

Socket Mode needs an app-level token (xapp-…, with connections:write) in SLACK_APP_TOKEN; the
bot token and signing secret are the same as for the web app. Requests arriving over the
socket are not HTTP-signed (the socket itself is authenticated by the app token).
"""
from backend.domain.errors import InvalidInput


def socket_handler(settings):
    """The Socket Mode handler for the app, or a plain refusal naming the missing settings."""
    missing = [name for name, value in (("SLACK_APP_TOKEN", settings.slack_app_token),
                                        ("SLACK_BOT_TOKEN", settings.slack_bot_token),
                                        ("SLACK_SIGNING_SECRET", settings.slack_signing_secret))
               if not value]
    if missing:
        raise InvalidInput(f"Socket Mode needs {', '.join(missing)}: see docs/slack-app-setup.md "
                           "(Local development).")
    if not settings.slack_app_token.startswith("xapp-"):
        raise InvalidInput("SLACK_APP_TOKEN must be an app-level token starting xapp-.")
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot import background
    from bot.app import create_bolt_app

    handler = SocketModeHandler(create_bolt_app(settings), settings.slack_app_token)
    background.start(settings, role="socket")  # sends what its requests write to the outbox
    return handler
