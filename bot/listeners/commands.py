"""The `/crg` slash command: parse, dispatch to a subcommand, answer ephemerally in the ack."""
import json

from backend.domain.errors import DomainError
from backend.slack.blocks import button, section
from backend.slack.text import escape
from bot import commands  # noqa: F401  (registers the subcommands)
from bot.commands.setup import no_partnership_yet
from bot.context import NeedsPartnership, NoPartnershipYet, SlackRequest, actor_for
from bot.router import Reply, dispatch


def ask_partnership(choices: list[tuple[int, str]], command_text: str) -> Reply:
    """Several partnerships fit: offer one button each, carrying the command to run again."""
    buttons = [button(name, f"pick_partnership_{pid}", json.dumps({"p": pid, "cmd": command_text}))
               for pid, name in choices[:20]]
    text = "Which partnership do you mean?"
    return Reply(text, [section(text), {"type": "actions", "elements": buttons[:25]}])


def run(text: str, request: SlackRequest) -> Reply | None:
    """Dispatch, turning a refusal into its sentence and ambiguity into a question."""
    try:
        return dispatch(text, request)
    except NeedsPartnership as ambiguous:
        return ask_partnership(ambiguous.choices, text)
    except NoPartnershipYet:
        return Reply(no_partnership_yet(request.settings, request.actor.id))
    except DomainError as refusal:
        return Reply(escape(refusal.message))


def register(app, settings) -> None:
    @app.command("/crg")
    def crg(ack, command, client):
        request = SlackRequest(actor_for(command["user_id"], command.get("user_name", ""), settings),
                               command.get("channel_id"), command.get("trigger_id"), client,
                               settings)
        reply = run(command.get("text", ""), request)
        if reply is None:
            ack()
        else:
            ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks or None)
