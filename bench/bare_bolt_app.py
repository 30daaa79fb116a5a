"""The floor of bench/load.py: a bolt app on Flask that checks Slack's signature and acks.

Nothing else: no database, no Web API call, no answer text. It is served by the same gunicorn
command as the real app (`gunicorn bench.bare_bolt_app:app`, the Procfile's options), so the
difference between the two is what the tracker's own work costs.
"""
import os
import re

from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

# bolt asks Slack who the bot is (auth.test) on each worker's first request, as the real app's
# bolt does: the same fake Slack answers both.
client = WebClient(token=os.environ.get("SLACK_BOT_TOKEN") or "xoxb-bare-floor",
                   base_url=os.environ.get("SLACK_API_URL") or "https://slack.com/api/")
bolt = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client,
           process_before_response=True, token_verification_enabled=False)


@bolt.command("/crg")
def crg(ack):
    ack()


@bolt.action(re.compile(".*"))
def any_action(ack):
    ack()


@bolt.view(re.compile(".*"))
def any_view(ack):
    ack()


handler = SlackRequestHandler(bolt)
app = Flask(__name__)


@app.post("/slack/events")
def slack_events():
    return handler.handle(request)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
