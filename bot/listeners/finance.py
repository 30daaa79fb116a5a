"""The progress and spend forms' submissions, and the reminders' "Report progress" button.

Each submission is one service call: a refusal is shown against its input and nothing is saved;
on success the modal closes, and the confirmation (ephemerally where the person typed the
command, else by DM) and the refresh of the proposal's channel posts come from the outbox.
"""
from backend.domain import progress, spend
from backend.domain.outbox import notes
from backend.domain.papers import measures
from backend.slack.reminder_messages import PROGRESS_ACTION
from bot.context import actor_of, number
from bot.forms import open_from_button, saved
from bot.views import finance_forms


def register(app, settings) -> None:
    @app.view(finance_forms.PROGRESS_CALLBACK)
    def submit_progress(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = finance_forms.metadata(view)
        notes.from_slack(meta.get("channel") or None)  # confirmed where they typed the command
        saved(ack, lambda: measures.report(
            actor, meta.get("proposal_id") or 0,
            **finance_forms.read_progress(view["state"]["values"], meta)),
            lambda refusal: finance_forms.errors_for(refusal, finance_forms.PROGRESS_BLOCKS))

    @app.view(finance_forms.SPEND_CALLBACK)
    def submit_spend(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = finance_forms.metadata(view)
        notes.from_slack(meta.get("channel") or None)
        saved(ack, lambda: spend.record(
            actor, meta.get("proposal_id") or 0, **finance_forms.read_spend(view["state"]["values"])),
            lambda refusal: finance_forms.errors_for(refusal, finance_forms.SPEND_BLOCKS))

    @app.action(PROGRESS_ACTION)
    def open_progress(ack, body, action, client):
        ack()
        actor = actor_of(body, settings)
        open_from_button(client, body, actor,
                         lambda: progress.may_report(actor, number(action.get("value")) or 0),
                         finance_forms.progress_form)
