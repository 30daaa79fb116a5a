"""The App Home tab: my proposals, my partnership's pots, what is due soon, and Propose."""
import logging

from backend.domain import deadlines, partnerships, proposals, years
from backend.domain.actors import Actor
from backend.domain.errors import NotFound
from backend.domain.forecast import figures
from backend.domain.pots import year_figures
from backend.slack.blocks import button, context, header, pots_blocks, proposal_line, section
from backend.slack.forecast_blocks import home_blocks
from bot.commands.deadlines import deadline_line
from bot.context import partnerships_of_person

log = logging.getLogger("crg.bot.home")


def home_view(user_id: str) -> dict:
    mine = partnerships_of_person(user_id)
    names = {p.id: p.name for p in partnerships.list_partnerships()}
    propose = [button("Propose a project" + (f" ({names[pid]})" if len(mine) > 1 else ""),
                      f"home_propose_{pid}", str(pid), style="primary") for pid in mine[:5]]
    if not propose:
        propose = [button("Propose a project", "home_propose", "", style="primary")]
    blocks = [header("CRG Tracker"),
              section("Propose projects for the Crime Reduction Grant and follow them through "
                      "the working group and the PCC. Type `/crg help` anywhere for commands."),
              {"type": "actions", "elements": propose},
              {"type": "divider"}, header("My proposals")]
    own = proposals.list_for_person(user_id, limit=15)
    blocks.append(section("\n".join(proposal_line(p) for p in own)[:2990]) if own
                  else section("None yet."))
    for pid in mine[:3]:
        try:
            blocks += [{"type": "divider"}] + pots_blocks(year_figures(years.find_year(pid)))
            blocks += home_blocks(figures.for_partnership(Actor(user_id), pid))
        except NotFound:
            blocks.append(section(f"{names.get(pid, 'Your partnership')} has no financial year "
                                  "open yet."))
    due = [deadline_line(d) for pid in mine[:3] for d in deadlines.upcoming(pid, days=14)]
    blocks += [{"type": "divider"}, header("Due soon"),
               section("\n".join(due[:15])[:2990] if due else "Nothing due in the next 14 days.")]
    blocks.append(context("Amounts are shown to the penny; times in UK time."))
    return {"type": "home", "blocks": blocks[:100]}


def register(app, settings) -> None:
    @app.event("app_home_opened")
    def publish_home(event, client):
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=home_view(event["user"]))
