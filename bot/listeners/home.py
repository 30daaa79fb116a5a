"""The App Home tab: my proposals, my partnership's pots, what is due soon, and Propose; for
someone in no partnership, what the tracker is and who to ask; for the tracker's own admins, the
button that sets a partnership up."""
import logging

from backend.domain import claims, conditions, deadlines, partnerships, proposals, years
from backend.domain.actors import Actor
from backend.domain.errors import NotFound
from backend.domain.money import format_pence
from backend.domain.forecast import figures
from backend.domain.pots import year_figures
from backend.slack import scoring_blocks
from backend.slack.blocks import button, context, header, pots_blocks, proposal_line, section
from backend.slack.claim_messages import conditions_blocks
from backend.slack.forecast_blocks import home_blocks
from backend.slack.text import escape
from bot.commands.deadlines import deadline_line
from bot.commands.setup import admins_line
from bot.context import partnerships_of_person
from bot.listeners.setup import SETUP_BUTTON

log = logging.getLogger("crg.bot.home")
WHAT_IT_IS = ("The CRG Tracker keeps a Community Safety Partnership's *Crime Reduction Grant*: "
              "partners propose projects, the working group and the PCC decide, and the money is "
              "followed to the penny, from the allocation to the spend.")


def _set_up_button() -> dict:
    return button("Set up a partnership", SETUP_BUTTON, "", style="primary")


def welcome_view(user_id: str, settings) -> dict:
    """For someone in no partnership: what the tracker is, and who to ask (or, for the
    tracker's own admins, the button that sets one up)."""
    admin = user_id in settings.admin_slack_ids
    any_yet = bool(partnerships.list_partnerships())
    blocks = [header("CRG Tracker"), section(WHAT_IT_IS)]
    if not any_yet:
        blocks.append(section("No partnership has been set up here yet."
                              + ("" if admin else " " + admins_line(settings))))
    else:
        blocks.append(section("You are not in a partnership here yet. Propose a project with "
                              "`/crg propose` in your working group's channel, or be given a role, "
                              "and your proposals, pots and deadlines show here. "
                              + admins_line(settings)))
    if admin:
        blocks += [section("You are one of the tracker's admins: set a partnership up here, or "
                           "type `/crg setup` in the channel that will be its working group's. "
                           "It takes its name, this year's allocation, its priorities and who "
                           "holds which role."),
                   {"type": "actions", "elements": [_set_up_button()]}]
    blocks.append(context("Type `/crg help` anywhere for every command."))
    return {"type": "home", "blocks": blocks}


def home_view(user_id: str, settings) -> dict:
    mine = partnerships_of_person(user_id)
    if not mine:
        return welcome_view(user_id, settings)
    names = {p.id: p.name for p in partnerships.list_partnerships()}
    propose = [button("Propose a project" + (f" ({names[pid]})" if len(mine) > 1 else ""),
                      f"home_propose_{pid}", str(pid), style="primary") for pid in mine[:5]]
    if user_id in settings.admin_slack_ids:
        propose.append(_set_up_button())
    blocks = [header("CRG Tracker"),
              section("Propose projects for the Crime Reduction Grant and follow them through "
                      "the working group and the PCC. Type `/crg help` anywhere for commands."),
              {"type": "actions", "elements": propose},
              {"type": "divider"}, header("My proposals")]
    own = proposals.list_for_person(user_id, limit=15)
    blocks.append(section("\n".join(proposal_line(p) for p in own)[:2990]) if own
                  else section("None yet."))
    waiting = conditions.outstanding_for([p.id for p in own if p.status == "approved"])
    for items in waiting.values():
        blocks += conditions_blocks(items, heading=f"*Conditions to meet on {items[0].ref}* "
                                    f"(`/crg conditions {items[0].ref}`)") if items else []
    for pid in mine[:3]:
        try:
            blocks += [{"type": "divider"}] + pots_blocks(year_figures(years.find_year(pid)))
            blocks += home_blocks(figures.for_partnership(Actor(user_id), pid))
        except NotFound:
            blocks.append(section(f"{names.get(pid, 'Your partnership')} has no financial year "
                                  "open yet."))
    blocks += _waiting_for_me(Actor(user_id), mine[:3])
    blocks += scoring_blocks.home_blocks(user_id)
    due = [deadline_line(d) for pid in mine[:3] for d in deadlines.upcoming(pid, days=14)]
    blocks += [{"type": "divider"}, header("Due soon"),
               section("\n".join(due[:15])[:2990] if due else "Nothing due in the next 14 days.")]
    blocks.append(context("Amounts are shown to the penny; times in UK time."))
    return {"type": "home", "blocks": blocks[:100]}


def _waiting_for_me(actor: Actor, mine: list[int]) -> list[dict]:
    """For finance staff, the claims waiting for them; for admins, the conditions leads marked
    met, waiting to be accepted."""
    lines = []
    for pid in mine:
        if claims.may_see_waiting(actor, pid):
            lines += [f"• Claim *{c.ref}* · {format_pence(c.amount_pence)} · _{c.state_label}_"
                      for c in claims.waiting_in(pid)]
        if conditions.is_admin(actor, pid):
            lines += [f"• *{c.ref}*: “{escape(c.title)}” marked met, waiting for you "
                      f"(`/crg conditions {c.ref}`)" for c in conditions.waiting_for_admin(pid)]
    if not lines:
        return []
    return [{"type": "divider"}, header("Waiting for you"), section("\n".join(lines)[:2990])]


def register(app, settings) -> None:
    @app.event("app_home_opened")
    def publish_home(event, client):
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=home_view(event["user"], settings))
