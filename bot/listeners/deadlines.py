"""The deadline forms: adding one, and moving one to a new date and time."""
import json

from backend.domain import deadlines
from backend.domain.errors import DomainError
from backend.slack.announce import tell
from bot.background import later
from bot.commands.deadlines import ADD_CALLBACK, MOVE_CALLBACK, deadline_line, read_when
from bot.context import actor_of
from bot.forms import REFUSED, saved


def _errors(refusal: DomainError) -> dict[str, str]:
    block = refusal.field if refusal.field in ("kind", "title", "date", "time") else "date"
    return {block: refusal.message}


def register(app, settings) -> None:
    @app.view(ADD_CALLBACK)
    def add(ack, body, view, client):
        actor = actor_of(body, settings)
        values = view["state"]["values"]
        meta = json.loads(view["private_metadata"])
        kind = ((values.get("kind") or {}).get("value", {}).get("selected_option") or {}).get("value", "")
        title = (values.get("title") or {}).get("value", {}).get("value") or ""
        made = saved(ack, lambda: deadlines.add(actor, meta["p"], kind, title, read_when(values)),
                     _errors)
        if made is REFUSED:
            return
        later(tell, client, actor.id, None, f"Added {deadline_line(made)[2:]}.")

    @app.view(MOVE_CALLBACK)
    def move(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = json.loads(view["private_metadata"])
        moved = saved(ack, lambda: deadlines.move(actor, meta["d"], read_when(view["state"]["values"])),
                      _errors)
        if moved is REFUSED:
            return
        later(tell, client, actor.id, None, f"Moved: {deadline_line(moved)[2:]}.")
