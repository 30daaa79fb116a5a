"""`/crg meeting` (schedule one, with its proposal cut-off) and `/crg agenda` (post it)."""
import json
from datetime import datetime, timedelta

from backend.domain import meetings, partnerships, rounds, times, years
from backend.domain.errors import NotFound
from backend.domain.money import format_pence
from backend.slack.announce import announce_round_closed, post_blocks
from backend.slack.text import escape
from bot.background import later
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
    request.client.views_open(trigger_id=request.trigger_id, view=meeting_form(year.id, year.label))
    return None


@subcommand("agenda", "agenda", "post the next meeting's agenda to the working group "
            "(admins and chairs)")
def agenda(request, args):
    year = years.find_year(request.partnership_id)
    meetings.may_post_agenda(request.actor, year.partnership_id)
    coming = meetings.upcoming(year.id)
    if not coming:
        raise NotFound(f"No working-group meeting is scheduled for {year.label}: an admin can "
                       "add one with `/crg meeting`.")
    channel = partnerships.working_group_channel(year.partnership_id)
    if not channel:
        raise NotFound("This partnership has no working-group channel to post the agenda to.")
    items = meetings.agenda(coming[0].id)
    if not items:
        return Reply(f"Nothing is on the agenda of {escape(coming[0].title)}: no upfront proposal "
                     "is waiting for the working group.")
    later(post_agenda, request.client, coming[0], items, channel)
    return Reply(f"Posting {len(items)} agenda item{'s' if len(items) != 1 else ''} for "
                 f"{escape(coming[0].title)} ({times.show(coming[0].held_at)}) to <#{channel}>.")


def post_agenda(client, meeting, items, channel: str) -> None:
    client.chat_postMessage(channel=channel, text=(
        f"*Agenda: {escape(meeting.title)}* on {times.show(meeting.held_at)} — {len(items)} "
        f"upfront proposal{'s' if len(items) != 1 else ''} in by the cut-off "
        f"({times.show(meeting.cutoff_at)}). Decisions go on the buttons under each one."))
    for position, item in enumerate(items, start=1):
        answer = client.chat_postMessage(channel=channel, text=f"Agenda item {position}: {item.ref}",
                                         blocks=post_blocks(item))
        meetings.record_agenda_post(meeting.id, item.id, position, answer["channel"], answer["ts"])


@subcommand("close-upfront", "close-upfront", "open the tactical pot once every upfront "
            "proposal is decided (admins)")
def close_upfront(request, args):
    year = years.find_year(request.partnership_id)
    rolled = rounds.close_upfront_round(request.actor, year.id)
    later(announce_round_closed, request.client, year.partnership_id, year.label, rolled)
    return Reply(f"The upfront round for {year.label} is closed: {format_pence(rolled)} rolled "
                 "into the tactical pot, which is now open.")
