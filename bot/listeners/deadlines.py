"""The deadline forms: adding one, and moving one to a new date and time."""

from backend.domain import deadlines
from backend.domain.errors import DomainError
from bot.commands.deadlines import ADD_CALLBACK, MOVE_CALLBACK, read_when
from bot.context import actor_of, json_object
from bot.forms import saved


def _errors(refusal: DomainError) -> dict[str, str]:
    block = refusal.field if refusal.field in ("kind", "title", "date", "time") else "date"
    return {block: refusal.message}


def register(app, settings) -> None:
    @app.view(ADD_CALLBACK)
    def add(ack, body, view, client):
        actor = actor_of(body, settings)
        values = view["state"]["values"]
        meta = json_object(view.get("private_metadata"))
        kind = ((values.get("kind") or {}).get("value", {}).get("selected_option") or {}).get("value", "")
        title = (values.get("title") or {}).get("value", {}).get("value") or ""
        saved(ack, lambda: deadlines.add(actor, meta.get("p", 0), kind, title, read_when(values)),
              _errors)  # the domain confirms it to them by DM

    @app.view(MOVE_CALLBACK)
    def move(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = json_object(view.get("private_metadata"))
        saved(ack, lambda: deadlines.move(actor, meta.get("d", 0), read_when(view["state"]["values"])),
              _errors)
