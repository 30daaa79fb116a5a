"""Mounting the bolt app on the Flask backend at POST /slack/events."""
import contextvars

from flask import Flask, jsonify, request

from backend.settings import Settings

SLACK_PATH = "/slack/events"


def register_slack(flask_app: Flask, settings: Settings, client=None) -> None:
    """Serve Slack's requests; without the two Slack secrets, say which are missing (503).

    Until then the one request answered is Slack's check of the Events request URL
    (`url_verification`), so that the Slack app can be created with the tracker's real address
    before its secrets exist (the deploy guide's order): the answer only echoes Slack's
    challenge, proves nothing but that the address answers, and acts on nothing.
    """
    if not settings.slack_configured:
        missing = [name for name, value in (("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
                                            ("SLACK_BOT_TOKEN", settings.slack_bot_token)) if not value]

        @flask_app.post(SLACK_PATH)
        def slack_not_configured():
            check = request.get_json(silent=True) if request.is_json else None
            if (isinstance(check, dict) and check.get("type") == "url_verification"
                    and isinstance(check.get("challenge"), str) and len(check["challenge"]) < 200):
                return jsonify(challenge=check["challenge"])
            return jsonify(error=f"Slack is not set up here: set {' and '.join(missing)} "
                                 "(see docs/slack-app-setup.md)."), 503
        return

    from slack_bolt.adapter.flask.handler import to_flask_response

    from bot import background, gate
    from bot.app import create_bolt_app
    from bot.background import after_response

    bolt = create_bolt_app(settings, client)
    flask_app.extensions["crg_bolt"] = bolt
    # This process sends what its requests write to the outbox, once each answer has gone.
    flask_app.extensions["crg_sender"] = background.start(settings)

    @flask_app.post(SLACK_PATH)
    def slack_events():
        slack_request, refused = gate.read(
            request.get_data(cache=True), request.query_string.decode("utf-8", "replace"),
            request.headers, request.content_type or "", settings.slack_signing_secret)
        if refused is not None:
            status, reason = refused
            return reason + "\n", status, {"Content-Type": "text/plain; charset=utf-8"}
        # In a context of its own: what the request marks for itself (where the person acted)
        # ends with it, and never reaches the finance page this thread serves next.
        answer = contextvars.copy_context().run(bolt.dispatch, slack_request)
        return after_response(to_flask_response(answer))
