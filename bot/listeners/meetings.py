"""The meeting form: scheduling a working-group meeting (the domain tells the group and the
person who scheduled it)."""
from backend.domain import meetings
from bot.commands.meetings import FORM_CALLBACK, read_when
from bot.context import actor_of
from bot.forms import saved
from bot.views.proposal_form import metadata


def register(app, settings) -> None:
    @app.view(FORM_CALLBACK)
    def schedule(ack, body, view, client):
        actor = actor_of(body, settings)
        values = view["state"]["values"]
        title = ((values.get("title") or {}).get("value") or {}).get("value") or ""
        saved(ack, lambda: meetings.schedule(
            actor, metadata(view)["year"], read_when(values, "held"), read_when(values, "cutoff"),
            title), lambda refusal: {{"cutoff": "cutoff_date", "title": "title"}.get(
                refusal.field, "held_date"): refusal.message})
