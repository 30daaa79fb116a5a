"""Buttons: choosing a partnership when a request was ambiguous, and Propose on the App Home."""
import json
import re

from backend.domain.errors import DomainError
from backend.slack.text import escape
from bot.commands.proposals import open_form
from bot.commands.setup import no_partnership_yet
from bot.context import (
    NeedsPartnership,
    NoPartnershipYet,
    SlackRequest,
    actor_of,
    partnership_for,
)
from bot.listeners.commands import ask_partnership, run


def register(app, settings) -> None:
    @app.action(re.compile(r"^pick_partnership_\d+$"))
    def pick_partnership(ack, body, action, client, respond):
        ack()
        choice = json.loads(action["value"])
        request = SlackRequest(actor_of(body, settings),
                               (body.get("channel") or {}).get("id"), body.get("trigger_id"),
                               client, settings, forced_partnership=int(choice["p"]))
        reply = run(choice.get("cmd", ""), request)
        if reply is not None:
            respond(text=reply.text, blocks=reply.blocks or None, response_type="ephemeral",
                    replace_original=True)
        else:
            respond(delete_original=True)

    @app.action(re.compile(r"^home_propose(_\d+)?$"))
    def home_propose(ack, body, action, client):
        ack()
        user = body["user"]["id"]
        forced = int(action["value"]) if action.get("value", "").isdigit() else None
        try:
            open_form(client, body["trigger_id"], partnership_for(user, None, forced), user)
        except NeedsPartnership as ambiguous:
            buttons = ask_partnership([(pid, name) for pid, name in ambiguous.choices], "propose")
            client.chat_postMessage(channel=user, text=buttons.text, blocks=buttons.blocks)
        except NoPartnershipYet:
            client.chat_postMessage(channel=user, text=no_partnership_yet(settings, user))
        except DomainError as refusal:
            client.chat_postMessage(channel=user, text=escape(refusal.message))
