"""`/crg help`."""
from bot.router import Reply, help_text, subcommand


@subcommand("help", "help", "what the bot does and every command")
def show_help(request, args):
    return Reply(help_text())
