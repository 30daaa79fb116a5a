"""The clock's Slack messages: reminders and the weekly digest (its alerts: `alert_messages`).

Every string a person typed (deadline and project titles, partnership names) goes through
`backend.slack.text.escape` and is shortened to Block Kit's limits, so a title such as
"<!channel> pay day" reaches Slack as inert text and never pings anyone.

The wording lives here alone, apart from how messages are claimed and sent
(`backend.slack.delivery`), so a change of words cannot touch the exactly-once machinery.
"""
from datetime import datetime

from backend.domain import times
from backend.domain.money import format_pence
from backend.domain.reminders import DigestContent, Due
from backend.slack.action_ids import PROGRESS_ACTION
from backend.slack.blocks import packed_sections, text_section, within_message
from backend.slack.text import (
    BUTTON_TEXT_MAX,
    escape,
    mention,
    shorten,
)

FALLBACK_MAX = 3000
_OWED = {
    "business_case": "the business case for",
    "progress_report": "a progress report on",
    "spend": "the grant spent and claimed for",
    "project": "an update on",
    "condition": "the grant condition, on",
}


def relative(due_at: datetime, now_local_day) -> str:
    days = (times.to_local(due_at).date() - now_local_day).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return "yesterday" if days == -1 else f"{-days} days ago"


def _late_note(items: list[Due]) -> str:
    late = [i for i in items if i.late]
    if not late:
        return ""
    first = min(i.slot_at for i in late)
    return (f"_Sent late: the reminder clock was not running when "
            f"{'this was' if len(items) == 1 else 'some of these were'} due to go out "
            f"(from {times.show_weekday(first)})._")


def render(items: list[Due], now: datetime) -> tuple[str, list[dict]]:
    """One message for one recipient, whatever the number of reminders in it."""
    forecasts = [i for i in items if i.forecast is not None]
    if forecasts:  # worded by `forecast_messages`, put before any reminders for the same person
        from backend.slack import forecast_messages

        text, blocks = forecast_messages.render(forecasts, now)
        items = [i for i in items if i.forecast is None]
        if not items:
            return text, blocks
        more_text, more_blocks = render(items, now)
        return (shorten(f"{text}\n{more_text}", FALLBACK_MAX),
                within_message(blocks + more_blocks, "…"))
    digests = [i for i in items if i.digest is not None]
    if digests:
        text, blocks = render_digest(digests[0], now)
        items = [i for i in items if i.digest is None]
        if not items:
            return text, blocks
        more_text, more_blocks = render(items, now)
        return shorten(f"{text}\n{more_text}", FALLBACK_MAX), within_message(blocks + more_blocks, "…")
    return (render_dm if items[0].is_dm else render_channel)(items, now)


def render_channel(items: list[Due], now: datetime) -> tuple[str, list[dict]]:
    today = times.to_local(now).date()
    name = escape(items[0].partnership)
    lines = []
    for i in items:
        d = i.deadline
        late = " _(late)_" if i.late else ""
        lines.append(f"• *{escape(d.title)}* ({escape(d.kind_label)}): due {times.show_weekday(d.due_at)}, "
                     f"{relative(d.due_at, today)}{late}")
    blocks = [text_section(f":alarm_clock: *Coming up for {name}*")] + packed_sections(lines)
    note = _late_note(items)
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    first = items[0].deadline
    text = f"Reminder: {escape(first.title)} is due {relative(first.due_at, today)}"
    if len(items) > 1:
        text += f" (and {len(items) - 1} more)"
    return shorten(text, FALLBACK_MAX), within_message(blocks, "…and more: `/crg deadlines` lists them all.")


def render_dm(items: list[Due], now: datetime) -> tuple[str, list[dict]]:
    today = times.to_local(now).date()
    blocks = [text_section(f":alarm_clock: *Reminder from {escape(items[0].partnership)}*")]
    for i in items:
        d = i.deadline
        late = " _(late)_" if i.late else ""
        if i.overdue:
            head = (f"*{escape(d.title)}* was due {times.show_weekday(d.due_at)} ({relative(d.due_at, today)}) "
                    f"and is now overdue.{late}")
        else:
            head = f"*{escape(d.title)}* is due {times.show_weekday(d.due_at)}, {relative(d.due_at, today)}.{late}"
        if not i.owed:
            blocks.append(text_section(f"{head}\nYou are named on this deadline."))
            continue
        owed = [f"• {_OWED.get(o.what, 'an update on')} {escape(o.ref)} "
                f"“{escape(o.title)}”" + (f" (`/crg conditions {o.ref}`)"
                                          if o.what == "condition" else "") for o in i.owed]
        blocks.extend(packed_sections([head, "Still needed from you:"] + owed))
        for o in i.owed:
            if o.what == "progress_report":
                blocks.append({"type": "actions",
                               "block_id": f"progress_{i.deadline_id}_{o.proposal_id}",
                               "elements": [{"type": "button", "action_id": PROGRESS_ACTION,
                                             "value": str(o.proposal_id), "style": "primary",
                                             "text": {"type": "plain_text", "text": shorten(
                                                 f"Report progress: {escape(o.ref)}",
                                                 BUTTON_TEXT_MAX)}}]})
    note = _late_note(items)
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    first = items[0]
    verb = "is overdue" if first.overdue else f"is due {relative(first.deadline.due_at, today)}"
    text = f"Reminder: {escape(first.deadline.title)} {verb}"
    if len(items) > 1:
        text += f" (and {len(items) - 1} more)"
    return shorten(text, FALLBACK_MAX), within_message(blocks, "…and more: `/crg deadlines` lists them all.")


def render_digest(due: Due, now: datetime) -> tuple[str, list[dict]]:
    c: DigestContent = due.digest
    today = times.to_local(now).date()
    name = escape(c.partnership)
    blocks = [{"type": "header", "text": {"type": "plain_text",
                                          "text": shorten(f"Weekly digest: {name}", 150)}}]
    if c.overdue:
        lines = ["*Overdue*"]
        for d, owed in c.overdue:
            lines.append(f"• *{escape(d.title)}* (due {times.show_weekday(d.due_at)}):")
            for item, people in owed:
                who = ", ".join(mention(p) for p in people)
                lines.append(f"    {escape(item.ref)} “{escape(item.title)}”: {who}")
        blocks.extend(packed_sections(lines))
    else:
        blocks.append(text_section("*Overdue*\nNothing is overdue."))
    if c.upcoming:
        lines = ["*Coming up*"] + [f"• *{escape(d.title)}* ({escape(d.kind_label)}): "
                                    f"{times.show_weekday(d.due_at)}, {relative(d.due_at, today)}"
                                    for d in c.upcoming]
        blocks.extend(packed_sections(lines))
    else:
        blocks.append(text_section("*Coming up*\nNo deadlines in the next two weeks."))
    if c.figures is not None:
        blocks.extend(packed_sections(pot_lines(c)))
    if due.late:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"_Sent late: it was due {times.show_weekday(due.slot_at)}._"}]})
    overdue = sum(len(owed) for _, owed in c.overdue)
    text = (f"Weekly digest for {name}: {overdue} overdue, {len(c.upcoming)} coming up")
    return shorten(text, FALLBACK_MAX), within_message(blocks, "…")


def pot_lines(c: DigestContent) -> list[str]:
    f = c.figures
    lines = [f"*Pots, {escape(c.year_label)}*"]
    for kind, p in f.pots.items():
        locked = " (locked until the upfront round is decided)" if p.locked else ""
        lines.append(f"• {kind.capitalize()}{locked}: {format_pence(p.available)} available of "
                     f"{format_pence(p.allocated)}; committed {format_pence(p.committed)}, "
                     f"spent {format_pence(p.spent)}")
    lines.append(f"Year end so far: uncommitted {format_pence(f.uncommitted)}, committed but "
                 f"unspent {format_pence(f.committed_unspent)}.")
    return lines
