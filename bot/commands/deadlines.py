"""`/crg deadlines` (what is coming) and `/crg deadline` (admins add, move and cancel)."""
import json
from datetime import datetime, timedelta

from backend.domain import deadlines, times
from backend.domain.errors import InvalidInput
from backend.slack.text import escape, option_text
from bot.context import number
from bot.forms import open_modal
from bot.router import Reply, subcommand

ADD_CALLBACK, MOVE_CALLBACK = "deadline_add", "deadline_move"


def deadline_line(d) -> str:
    return (f"• `#{d.id}` *{times.show(d.due_at)}* · {d.kind_label} · "
            f"{escape(d.title)}")


@subcommand("deadlines", "deadlines [DAYS]", "what is due in the coming weeks",
            "/crg deadlines 30")
def list_deadlines(request, args):
    days = min(number(args, 4) or 60, 3650)  # at most ten years ahead
    coming = deadlines.upcoming(request.partnership_id, days=days)
    if not coming:
        return Reply(f"Nothing is due in the next {days} days.")
    return Reply(f"*Due in the next {days} days*\n" + "\n".join(deadline_line(d) for d in coming[:40]))


def _when_blocks(initial: datetime) -> list[dict]:
    return [
        {"type": "input", "block_id": "date", "label": {"type": "plain_text", "text": "Date"},
         "element": {"type": "datepicker", "action_id": "value",
                     "initial_date": initial.date().isoformat()}},
        {"type": "input", "block_id": "time", "label": {"type": "plain_text", "text": "Time (UK)"},
         "element": {"type": "timepicker", "action_id": "value",
                     "initial_time": initial.strftime("%H:%M")}},
    ]


def _modal(callback: str, title: str, meta: dict, blocks: list[dict]) -> dict:
    return {"type": "modal", "callback_id": callback, "private_metadata": json.dumps(meta),
            "title": {"type": "plain_text", "text": title},
            "submit": {"type": "plain_text", "text": "Save"},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks}


def add_form(partnership_id: int) -> dict:
    kinds = [{"text": {"type": "plain_text", "text": option_text(label)}, "value": kind}
             for kind, label in deadlines.KINDS.items()]
    initial = times.to_local(times.now()).replace(hour=17, minute=0) + timedelta(days=14)
    return _modal(ADD_CALLBACK, "Add a deadline", {"p": partnership_id}, [
        {"type": "input", "block_id": "kind", "label": {"type": "plain_text", "text": "Kind"},
         "element": {"type": "static_select", "action_id": "value", "options": kinds,
                     "initial_option": kinds[-1]}},
        {"type": "input", "block_id": "title", "label": {"type": "plain_text", "text": "Title"},
         "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200}},
        *_when_blocks(initial),
    ])


def read_when(values: dict) -> datetime:
    day = (values.get("date") or {}).get("value", {}).get("selected_date")
    hour = (values.get("time") or {}).get("value", {}).get("selected_time")
    if not day or not hour:
        raise InvalidInput("Give both the date and the time.", field="date")
    try:
        return datetime.fromisoformat(f"{day}T{hour}")
    except ValueError:
        raise InvalidInput("Pick the date and time from the calendar and clock.", field="date")


@subcommand("deadline", "deadline [move ID | cancel ID]", "add a deadline (opens a form), move "
            "or cancel one (admins)", "/crg deadline move 12")
def deadline(request, args):
    words = args.split()
    partnership_id = request.partnership_id
    if not words:
        deadlines.may_add(request.actor, partnership_id)
        open_modal(request.client, request.trigger_id, add_form(partnership_id))
        return None
    if len(words) != 2 or words[0] not in ("move", "cancel") or number(words[1]) is None:
        return Reply("Write `/crg deadline` to add one, or `/crg deadline move ID` / "
                     "`/crg deadline cancel ID` with a number from `/crg deadlines`.")
    found = deadlines.get(number(words[1]))
    if found.partnership_id != partnership_id:
        return Reply(f"Deadline #{found.id} belongs to another partnership.")
    if words[0] == "cancel":
        done = deadlines.cancel(request.actor, found.id)
        return Reply(f"Cancelled: {deadline_line(done)[2:]}. No more reminders will go out for it.")
    deadlines.may_move(request.actor, found.id)
    open_modal(request.client, request.trigger_id, _modal(
        MOVE_CALLBACK, "Move a deadline", {"d": found.id},
        [{"type": "section", "text": {"type": "mrkdwn", "text": deadline_line(found)}},
         *_when_blocks(times.to_local(found.due_at))]))
    return None
