"""Buttons: choosing a partnership when a request was ambiguous, and Propose on the App Home."""
import re

from backend.domain.errors import DomainError
from backend.domain.outbox.notes import Note, tell
from backend.slack.text import escape
from bot.background import tell_person
from bot.commands.proposals import open_form
from bot.commands.setup import no_partnership_yet
from bot.context import (
    NeedsPartnership,
    NoPartnershipYet,
    SlackRequest,
    actor_of,
    chosen_partnership,
    json_object,
    partnership_for,
)
from bot.listeners.commands import ask_partnership, run


def register(app, settings) -> None:
    @app.action(re.compile(r"^pick_partnership_\d+$"))
    def pick_partnership(ack, body, action, client, respond):
        ack()
        actor = actor_of(body, settings)
        try:
            choice = json_object(action.get("value"))
            chosen = chosen_partnership(actor, choice.get("p") if isinstance(choice, dict) else 0)
        except (ValueError, DomainError) as refusal:
            message = getattr(refusal, "message", "That choice could not be read.")
            respond(text=escape(message), response_type="ephemeral", replace_original=True)
            return
        request = SlackRequest(actor, (body.get("channel") or {}).get("id"),
                               body.get("trigger_id"), client, settings,
                               forced_partnership=chosen)
        reply = run(str(choice.get("cmd", "")), request)
        if reply is not None:
            respond(text=reply.text, blocks=reply.blocks or None, response_type="ephemeral",
                    replace_original=True)
        else:
            respond(delete_original=True)

    @app.action(re.compile(r"^home_propose(_\d+)?$"))
    def home_propose(ack, body, action, client):
        ack()
        user = body["user"]["id"]
        value = action.get("value") or ""
        try:
            forced = chosen_partnership(actor_of(body, settings), value) if value else None
            open_form(client, body["trigger_id"], partnership_for(user, None, forced), user)
        except NeedsPartnership as ambiguous:
            buttons = ask_partnership([(pid, name) for pid, name in ambiguous.choices], "propose")
            tell(Note(user, "question", text=buttons.text, blocks=tuple(buttons.blocks)))
        except NoPartnershipYet:
            tell(Note(user, "question", text=no_partnership_yet(settings, user)))
        except DomainError as refusal:
            tell_person(user, None, refusal.message)
