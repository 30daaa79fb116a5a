"""The behind-profile DM's "Record spend" button: the spend form, or why not, before any typing.

(Its "Report progress" button is the reminders' own, answered in `bot.listeners.finance`.)
"""
from backend.domain import spend
from backend.slack.action_ids import SPEND_ACTION
from bot.context import actor_of, number
from bot.forms import open_from_button
from bot.views import finance_forms


def register(app, settings) -> None:
    @app.action(SPEND_ACTION)
    def open_spend(ack, body, action, client):
        ack()
        actor = actor_of(body, settings)
        open_from_button(client, body, actor,
                         lambda: spend.may_record(actor, number(action.get("value")) or 0),
                         finance_forms.spend_form)
