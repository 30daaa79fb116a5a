"""The meeting form: scheduling a working-group meeting and announcing it to the group."""
from backend import clock, meetings, partnerships
from backend.errors import DomainError
from bot.announce import tell
from bot.background import later
from bot.commands.meetings import FORM_CALLBACK, read_when
from bot.context import actor_of
from bot.text import escape
from bot.views.proposal_form import metadata


def register(app, settings) -> None:
    @app.view(FORM_CALLBACK)
    def schedule(ack, body, view, client):
        actor = actor_of(body, settings)
        values = view["state"]["values"]
        title = ((values.get("title") or {}).get("value") or {}).get("value") or ""
        try:
            meeting = meetings.schedule(actor, metadata(view)["year"], read_when(values, "held"),
                                        read_when(values, "cutoff"), title)
        except DomainError as refusal:
            block = "cutoff_date" if refusal.field == "cutoff" else "held_date"
            ack(response_action="errors", errors={block: refusal.message})
            return
        ack()
        channel = partnerships.working_group_channel(meeting.partnership_id)
        text = (f":calendar: {escape(meeting.title)} is on {clock.show(meeting.held_at)}. "
                f"Upfront proposals must be in by {clock.show(meeting.cutoff_at)} to be on its "
                "agenda: `/crg propose`.")
        if channel:
            later(client.chat_postMessage, channel=channel, text=text)
        else:
            later(tell, client, actor.id, None, text)
