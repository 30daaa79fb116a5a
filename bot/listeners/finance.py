"""The progress and spend forms' submissions, and the reminders' "Report progress" button.

Each submission is one service call: a refusal is shown against its input and nothing is saved;
on success the modal closes, and the confirmation (ephemerally where the person typed the
command, else by DM) and the refresh of the proposal's channel posts come from the outbox.
"""
from backend.domain import progress, spend
from backend.domain.errors import DomainError
from backend.domain.outbox import notes
from backend.slack.reminder_messages import PROGRESS_ACTION
from bot.background import tell_person
from bot.context import actor_of, number
from bot.forms import open_modal, saved
from bot.views import finance_forms


def register(app, settings) -> None:
    @app.view(finance_forms.PROGRESS_CALLBACK)
    def submit_progress(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = finance_forms.metadata(view)
        notes.from_slack(meta.get("channel") or None)  # confirmed where they typed the command
        saved(ack, lambda: progress.record(
            actor, meta.get("proposal_id") or 0, **finance_forms.read_progress(view["state"]["values"])),
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
        channel = (body.get("channel") or {}).get("id") or ""
        value = action.get("value") or ""
        try:  # refused before anything is typed: by DM, or ephemerally where the button was
            project = progress.may_report(actor, number(value) or 0)
        except DomainError as refusal:
            tell_person(actor.id, channel, refusal.message)
            return
        try:
            open_modal(client, body["trigger_id"], finance_forms.progress_form(project, channel))
        except DomainError as refusal:
            tell_person(actor.id, channel, refusal.message)
