"""`/crg help` (and a bare `/crg`): every command; in a deployment with no partnership yet, how to
set the first one up comes first."""
from backend.domain import partnerships
from bot.commands.setup import no_partnership_yet
from bot.router import Reply, help_text, subcommand


@subcommand("help", "help", "what the bot does and every command")
def show_help(request, args):
    if not partnerships.list_partnerships():
        return Reply(no_partnership_yet(request.settings, request.actor.id) + "\n\n" + help_text())
    return Reply(help_text())
