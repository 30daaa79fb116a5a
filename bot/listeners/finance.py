"""The progress and spend forms' submissions, and the reminders' "Report progress" button.

Each submission is one service call: a refusal is shown against its input and nothing is saved;
on success the modal closes and the confirmation (and the refresh of the proposal's channel
posts) follows in the background.
"""
from backend.domain import progress, proposals, spend
from backend.domain.errors import DomainError
from backend.domain.money import format_pence
from backend.slack.announce import refresh_post, tell
from backend.slack.reminder_messages import PROGRESS_ACTION
from backend.slack.text import escape
from bot.background import later
from bot.context import actor_of
from bot.forms import REFUSED, saved
from bot.views import finance_forms


def _origin(channel: str | None) -> str | None:
    """Where to confirm: ephemerally in the channel the person typed in, else (a DM) by DM."""
    return channel if channel and channel[0] in "CG" else None


def after_progress(client, proposal_id: int, report, user_id: str, channel: str | None) -> None:
    project = proposals.get(proposal_id)
    tell(client, user_id, channel,
         f"Thanks: your progress report on {project.ref} “{escape(project.title)}” for "
         f"{escape(report.period)} is saved ({report.rag.capitalize()}). `/crg show {project.ref}` "
         "shows it.")
    refresh_post(client, project)


def register(app, settings) -> None:
    @app.view(finance_forms.PROGRESS_CALLBACK)
    def submit_progress(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = finance_forms.metadata(view)
        report = saved(ack, lambda: progress.record(
            actor, meta["proposal_id"], **finance_forms.read_progress(view["state"]["values"])),
            lambda refusal: finance_forms.errors_for(refusal, finance_forms.PROGRESS_BLOCKS))
        if report is REFUSED:
            return
        later(after_progress, client, meta["proposal_id"], report, actor.id,
              _origin(meta.get("channel")))

    @app.view(finance_forms.SPEND_CALLBACK)
    def submit_spend(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = finance_forms.metadata(view)
        line = saved(ack, lambda: spend.record(
            actor, meta["proposal_id"], **finance_forms.read_spend(view["state"]["values"])),
            lambda refusal: finance_forms.errors_for(refusal, finance_forms.SPEND_BLOCKS))
        if line is REFUSED:
            return
        project = proposals.get(line.proposal_id)
        later(tell, client, actor.id, _origin(meta.get("channel")),
              f"Recorded spend line {line.id}: {format_pence(line.amount_pence)} on {project.ref} "
              f"in Q{line.quarter} ({escape(line.memo)}).")

    @app.action(PROGRESS_ACTION)
    def open_progress(ack, body, action, client):
        ack()
        actor = actor_of(body, settings)
        channel = (body.get("channel") or {}).get("id") or ""
        value = action.get("value") or ""
        try:  # refused before anything is typed: by DM, or ephemerally where the button was
            project = progress.may_report(actor, int(value) if value.isdigit() else 0)
        except DomainError as refusal:
            tell(client, actor.id, _origin(channel), escape(refusal.message))
            return
        client.views_open(trigger_id=body["trigger_id"],
                          view=finance_forms.progress_form(project, channel))
