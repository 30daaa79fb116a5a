"""The meeting form: scheduling a working-group meeting and announcing it to the group."""
from backend.domain import meetings, partnerships, times
from backend.slack.announce import tell
from backend.slack.text import escape
from bot.background import later
from bot.commands.meetings import FORM_CALLBACK, read_when
from bot.context import actor_of
from bot.forms import REFUSED, saved
from bot.views.proposal_form import metadata


def register(app, settings) -> None:
    @app.view(FORM_CALLBACK)
    def schedule(ack, body, view, client):
        actor = actor_of(body, settings)
        values = view["state"]["values"]
        title = ((values.get("title") or {}).get("value") or {}).get("value") or ""
        meeting = saved(ack, lambda: meetings.schedule(
            actor, metadata(view)["year"], read_when(values, "held"), read_when(values, "cutoff"),
            title), lambda refusal: {"cutoff_date" if refusal.field == "cutoff" else "held_date":
                                     refusal.message})
        if meeting is REFUSED:
            return
        channel = partnerships.working_group_channel(meeting.partnership_id)
        text = (f":calendar: {escape(meeting.title)} is on {times.show(meeting.held_at)}. "
                f"Upfront proposals must be in by {times.show(meeting.cutoff_at)} to be on its "
                "agenda: `/crg propose`.")
        if channel:
            later(client.chat_postMessage, channel=channel, text=text)
        else:
            later(tell, client, actor.id, None, text)
