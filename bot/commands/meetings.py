"""`/crg meeting` (schedule one, with its proposal cut-off) and `/crg agenda` (post it)."""
import json
from datetime import datetime, timedelta

from backend.domain import meetings, rounds, times, years
from backend.domain.money import format_pence
from backend.slack.text import escape
from bot.forms import open_modal
from bot.router import Reply, subcommand

FORM_CALLBACK = "meeting_form"


def _when(block: str, label: str, day, hour: str) -> list[dict]:
    return [
        {"type": "input", "block_id": f"{block}_date", "label": {"type": "plain_text", "text": f"{label} date"},
         "element": {"type": "datepicker", "action_id": "value", "initial_date": day.isoformat()}},
        {"type": "input", "block_id": f"{block}_time", "label": {"type": "plain_text", "text": f"{label} time"},
         "element": {"type": "timepicker", "action_id": "value", "initial_time": hour}},
    ]


def meeting_form(year_id: int, label: str) -> dict:
    held = times.today_local() + timedelta(days=21)
    return {
        "type": "modal", "callback_id": FORM_CALLBACK, "private_metadata": json.dumps({"year": year_id}),
        "title": {"type": "plain_text", "text": "Schedule a meeting"},
        "submit": {"type": "plain_text", "text": "Schedule"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "title", "optional": True,
             "label": {"type": "plain_text", "text": "Title"},
             "element": {"type": "plain_text_input", "action_id": "value",
                         "initial_value": f"Working-group meeting {label}"}},
            *_when("held", "Meeting", held, "14:00"),
            *_when("cutoff", "Proposal cut-off", held - timedelta(days=7), "17:00"),
        ],
    }


def read_when(values: dict, block: str) -> datetime:
    day = values[f"{block}_date"]["value"]["selected_date"]
    hour = values[f"{block}_time"]["value"]["selected_time"]
    return datetime.fromisoformat(f"{day}T{hour}")


@subcommand("meeting", "meeting", "schedule a working-group meeting and its proposal cut-off "
            "(admins)")
def meeting(request, args):
    year = years.find_year(request.partnership_id)
    meetings.may_schedule(request.actor, year.partnership_id)
    open_modal(request.client, request.trigger_id, meeting_form(year.id, year.label))
    return None


@subcommand("agenda", "agenda", "post the next meeting's agenda to the working group "
            "(admins and chairs)")
def agenda(request, args):
    year = years.find_year(request.partnership_id)
    posted = meetings.post_agenda(request.actor, year.id)
    if not posted.items:
        return Reply(f"Nothing is on the agenda of {escape(posted.meeting.title)}: no upfront "
                     "proposal is waiting for the working group.")
    return Reply(f"Posting {posted.items} agenda item{'s' if posted.items != 1 else ''} for "
                 f"{escape(posted.meeting.title)} ({times.show(posted.meeting.held_at)}) to "
                 f"<#{posted.channel}>.")


@subcommand("close-upfront", "close-upfront", "open the tactical pot once every upfront "
            "proposal is decided (admins)")
def close_upfront(request, args):
    year = years.find_year(request.partnership_id)
    rolled = rounds.close_upfront_round(request.actor, year.id)  # the group is told by the domain
    return Reply(f"The upfront round for {year.label} is closed: {format_pence(rolled)} rolled "
                 "into the tactical pot, which is now open.")
