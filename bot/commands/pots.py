"""`/crg pots [YEAR]`: the partnership's pots as the ledger has them now."""
from backend.domain import years
from backend.domain.pots import year_figures
from backend.slack.blocks import pots_blocks
from bot.router import Reply, subcommand


@subcommand("pots", "pots [YEAR]", "the pots: available, committed, spent", "/crg pots 2024/25")
def show_pots(request, args):
    figures = year_figures(years.find_year(request.partnership_id, args or None))
    return Reply(f"Pots for {figures.partnership} {figures.label}", pots_blocks(figures))
