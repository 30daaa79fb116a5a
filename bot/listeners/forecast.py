"""The behind-profile DM's "Record spend" button: the spend form, or why not, before any typing.

(Its "Report progress" button is the reminders' own, answered in `bot.listeners.finance`.)
"""
from backend.domain import spend
from backend.domain.errors import DomainError
from backend.slack.action_ids import SPEND_ACTION
from backend.slack.announce import tell
from backend.slack.text import escape
from bot.context import actor_of
from bot.views import finance_forms


def register(app, settings) -> None:
    @app.action(SPEND_ACTION)
    def open_spend(ack, body, action, client):
        ack()
        actor = actor_of(body, settings)
        channel = (body.get("channel") or {}).get("id") or ""
        value = action.get("value") or ""
        try:
            project = spend.may_record(actor, int(value) if value.isdigit() else 0)
        except DomainError as refusal:
            tell(client, actor.id, channel if channel[:1] in ("C", "G") else None,
                 escape(refusal.message))
            return
        client.views_open(trigger_id=body["trigger_id"],
                          view=finance_forms.spend_form(project, channel))
