"""The set-up forms: the App Home's Set up button and channel choice, the set-up form's and the
year form's submissions, and the split shown under the allocation as it is typed.

Each submission asks the domain again who may (a form can be forged or outlive a role), saves in
one service call, and shows a refusal against its input; what people are told afterwards goes out
once Slack has its answer.
"""
import logging

from backend.domain import fiscal, setup, times, years
from backend.domain.actors import ROLE_NAMES
from backend.domain.errors import DomainError
from backend.domain.money import format_pence
from backend.logs import log_event
from backend.slack.announce import dm, tell
from backend.slack.client import SLACK_FAILURES, failure_reason
from backend.slack.text import escape, mention
from bot.background import later
from bot.commands.setup import NOT_A_MEMBER, admins_line, membership_problem
from bot.context import actor_of
from bot.directory import keep_current
from bot.forms import REFUSED, saved
from bot.views import setup_forms

log = logging.getLogger("crg.bot.setup")
SETUP_BUTTON = "setup_start"


def _people(users) -> str:
    return ", ".join(mention(u) for u in users) or "nobody yet"


def announce_setup(client, done: setup.SetUp, actor_id: str) -> None:
    """The working group hears its channel is set up; the people given roles are told; the
    admin who did it gets the summary."""
    year, channel = done.year, done.partnership.working_group_channel
    money = (f"{year.label}: allocation {format_pence(year.allocation_pence)}, upfront "
             f"{format_pence(year.upfront_pence)}, tactical {format_pence(year.tactical_pence)}")
    try:
        client.chat_postMessage(channel=channel, text=(
            f":white_check_mark: This is now the working group's channel of "
            f"*{escape(done.partnership.name)}* in the CRG Tracker ({money}). New proposals are "
            "posted here for the working group. Anyone can propose a project with "
            "`/crg propose`; `/crg help` lists everything."))
    except SLACK_FAILURES as error:
        log_event(log, "setup_not_announced", logging.WARNING, channel=channel,
                  error=failure_reason(error))
    for role, users in done.roles.items():
        for user in users:
            if user != actor_id:
                dm(client, user, f"{mention(actor_id)} made you {ROLE_NAMES[role]} in "
                                 f"*{escape(done.partnership.name)}* in the CRG Tracker. "
                                 "`/crg help` lists what you can do.")
    roles = "; ".join(f"{role}: {_people(users)}" for role, users in done.roles.items())
    tell(client, actor_id, channel, (
        f"*{escape(done.partnership.name)}* is set up with <#{channel}> as its working group's "
        f"channel ({money}; priorities: {len(year.priorities)}). Roles — {roles}. Later: "
        "`/crg year open` for the next year, `/crg channel link` in another channel, "
        "`/crg role @person ROLE` to change roles."))


def show_split(client, view: dict, typed: str) -> None:
    """Rewrite the line under the allocation with the split of what has been typed."""
    try:
        client.views_update(view_id=view["id"],
                            view=setup_forms.with_split(view, years.split_line(typed)))
    except SLACK_FAILURES as error:  # the modal was closed meanwhile, say: nothing to show
        log_event(log, "split_not_shown", logging.INFO, error=failure_reason(error))


def register(app, settings) -> None:
    @app.action(SETUP_BUTTON)
    def start_from_home(ack, body, client):
        ack()
        actor = actor_of(body, settings)
        try:
            setup.may_set_up(actor)  # who may; the channel is chosen next
        except DomainError as refusal:
            client.chat_postMessage(channel=actor.id, text=f"{escape(refusal.message)} "
                                                           f"{admins_line(settings)}")
            return
        client.views_open(trigger_id=body["trigger_id"], view=setup_forms.channel_picker())

    @app.view(setup_forms.CHANNEL_CALLBACK)
    def channel_chosen(ack, body, view, client):
        actor = actor_of(body, settings)
        channel = setup_forms.chosen_channel(view["state"]["values"])
        try:
            setup.may_set_up(actor, channel)
        except DomainError as refusal:
            ack(response_action="errors", errors={"channel": refusal.message})
            return
        problem = membership_problem(client, channel)
        if problem:
            ack(response_action="errors", errors={"channel": (
                "I'm not in that channel yet. Type /invite @CRG Tracker in it, then press Next "
                "here again." if problem == NOT_A_MEMBER else problem)})
            return
        label = fiscal.label(fiscal.year_of(times.today_local()))
        ack(response_action="update", view=setup_forms.setup_form(channel, actor.id, label))

    @app.view(setup_forms.SETUP_CALLBACK)
    def set_up(ack, body, view, client):
        actor = actor_of(body, settings)
        values = view["state"]["values"]
        answers = setup.Answers(
            name=setup_forms.text(values, "name"),
            channel_id=setup_forms.metadata(view).get("c", ""),
            year=setup_forms.text(values, "year"),
            allocation=setup_forms.text(values, "allocation"),
            priorities=setup_forms.text(values, "priorities"),
            roles=setup_forms.roles(values))
        done = saved(ack, lambda: setup.set_up_partnership(actor, answers),
                     lambda refusal: setup_forms.errors_for(refusal, setup_forms.SETUP_BLOCKS))
        if done is REFUSED:
            return
        keep_current(client, *(u for users in done.roles.values() for u in users))
        later(announce_setup, client, done, actor.id)

    @app.view(setup_forms.YEAR_CALLBACK)
    def open_year(ack, body, view, client):
        actor = actor_of(body, settings)
        values = view["state"]["values"]
        partnership_id = setup_forms.metadata(view).get("p")
        opened = saved(ack, lambda: years.open_year_from_form(
            actor, int(partnership_id or 0), setup_forms.text(values, "year"),
            setup_forms.text(values, "allocation"), setup_forms.text(values, "priorities")),
            lambda refusal: setup_forms.errors_for(refusal, setup_forms.YEAR_BLOCKS))
        if opened is REFUSED:
            return
        later(tell, client, actor.id, None, (
            f"Opened {opened.label} for *{escape(opened.partnership)}*: allocation "
            f"{format_pence(opened.allocation_pence)}, upfront {format_pence(opened.upfront_pence)}, "
            f"tactical {format_pence(opened.tactical_pence)}; {len(opened.priorities)} priorities "
            f"and the year's usual deadlines. `/crg pots {opened.label}` shows it."))

    @app.action({"block_id": setup_forms.ALLOCATION_BLOCK, "action_id": "value"})
    def allocation_typed(ack, body, action, client):
        ack()
        later(show_split, client, body["view"], action.get("value") or "")
