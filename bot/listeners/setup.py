"""The set-up forms: the App Home's Set up button and channel choice, the set-up form's and the
year form's submissions, and the split shown under the allocation as it is typed.

Each submission asks the domain again who may (a form can be forged or outlive a role), saves in
one service call, and shows a refusal against its input; what people are told afterwards goes out
once Slack has its answer.
"""
import logging

from backend.domain import fiscal, setup, times, years
from backend.domain.errors import DomainError
from backend.domain.outbox.notes import Note, tell
from backend.logs import log_event
from backend.slack.client import SLACK_FAILURES, failure_reason
from backend.slack.text import escape
from bot.background import later, tell_person
from bot.commands.setup import NOT_A_MEMBER, admins_line, membership_problem
from bot.context import actor_of
from bot.directory import keep_current
from bot.forms import REFUSED, open_modal, saved
from bot.views import setup_forms

log = logging.getLogger("crg.bot.setup")
SETUP_BUTTON = "setup_start"


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
            tell(Note(actor.id, "refusal",
                      text=f"{escape(refusal.message)} {admins_line(settings)}"))
            return
        try:
            open_modal(client, body["trigger_id"], setup_forms.channel_picker())
        except DomainError as refusal:
            tell_person(actor.id, None, refusal.message)

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
        # the working group, the people given roles and the admin are told by the domain

    @app.view(setup_forms.YEAR_CALLBACK)
    def open_year(ack, body, view, client):
        actor = actor_of(body, settings)
        values = view["state"]["values"]
        partnership_id = setup_forms.metadata(view).get("p")
        saved(ack, lambda: years.open_year_from_form(
            actor, int(partnership_id or 0), setup_forms.text(values, "year"),
            setup_forms.text(values, "allocation"), setup_forms.text(values, "priorities")),
            lambda refusal: setup_forms.errors_for(refusal, setup_forms.YEAR_BLOCKS))

    @app.action({"block_id": setup_forms.ALLOCATION_BLOCK, "action_id": "value"})
    def allocation_typed(ack, body, action, client):
        ack()
        later(show_split, client, body["view"], action.get("value") or "")
