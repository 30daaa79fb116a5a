"""The clock's Slack messages: reminders, the weekly digest and alerts to admins.

Every string a person typed (deadline and project titles, partnership names) goes through
`bot.text.escape` and is shortened to Block Kit's limits, so a title such as "<!channel> pay
day" reaches Slack as inert text and never pings anyone.

The wording lives here alone, apart from how messages are claimed and sent (`jobs.sweep`), so a
change of words cannot touch the exactly-once machinery. The key each message carries in Slack
is `jobs.message_keys`'.
"""
from datetime import datetime

from backend import clock
from backend.money import format_pence
from backend.reminders import NO_CHANNEL, DigestContent, Due
from bot.blocks import button, confirm_dialog
from bot.text import (
    BUTTON_TEXT_MAX,
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    escape,
    mention,
    shorten,
)

PROGRESS_ACTION = "progress_open"  # handled by the Slack front: opens the progress form
RESEND_ACTION = "clock_resend"  # the admins' "Send it again": bot.listeners.clock_alerts
FALLBACK_MAX = 3000
_OWED = {
    "business_case": "the business case for",
    "progress_report": "a progress report on",
    "spend": "the grant spent and claimed for",
    "project": "an update on",
}


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": shorten(text, SECTION_TEXT_MAX)}}


def _sections(lines: list[str]) -> list[dict]:
    """Lines packed into as few section blocks as fit Slack's limit."""
    blocks, current = [], ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_TEXT_MAX - 100 and current:
            blocks.append(_section(current))
            current = line
        else:
            current = candidate
    if current:
        blocks.append(_section(current))
    return blocks


def _limit(blocks: list[dict], more: str) -> list[dict]:
    if len(blocks) <= MESSAGE_BLOCKS_MAX:
        return blocks
    return blocks[:MESSAGE_BLOCKS_MAX - 1] + [_section(more)]


def relative(due_at: datetime, now_local_day) -> str:
    days = (clock.to_local(due_at).date() - now_local_day).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return "yesterday" if days == -1 else f"{-days} days ago"


def when(dt: datetime) -> str:
    return clock.to_local(dt).strftime("%a %-d %b %Y %H:%M")


def _late_note(items: list[Due]) -> str:
    late = [i for i in items if i.late]
    if not late:
        return ""
    first = min(i.slot_at for i in late)
    return (f"_Sent late: the reminder clock was not running when "
            f"{'this was' if len(items) == 1 else 'some of these were'} due to go out "
            f"(from {when(first)})._")


def render(items: list[Due], now: datetime) -> tuple[str, list[dict]]:
    """One message for one recipient, whatever the number of reminders in it."""
    digests = [i for i in items if i.digest is not None]
    if digests:
        text, blocks = render_digest(digests[0], now)
        items = [i for i in items if i.digest is None]
        if not items:
            return text, blocks
        more_text, more_blocks = render(items, now)
        return shorten(f"{text}\n{more_text}", FALLBACK_MAX), _limit(blocks + more_blocks, "…")
    return (render_dm if items[0].is_dm else render_channel)(items, now)


def render_channel(items: list[Due], now: datetime) -> tuple[str, list[dict]]:
    today = clock.to_local(now).date()
    name = escape(items[0].partnership)
    lines = []
    for i in items:
        d = i.deadline
        late = " _(late)_" if i.late else ""
        lines.append(f"• *{escape(d.title)}* ({escape(d.kind_label)}): due {when(d.due_at)}, "
                     f"{relative(d.due_at, today)}{late}")
    blocks = [_section(f":alarm_clock: *Coming up for {name}*")] + _sections(lines)
    note = _late_note(items)
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    first = items[0].deadline
    text = f"Reminder: {escape(first.title)} is due {relative(first.due_at, today)}"
    if len(items) > 1:
        text += f" (and {len(items) - 1} more)"
    return shorten(text, FALLBACK_MAX), _limit(blocks, "…and more: `/crg deadlines` lists them all.")


def render_dm(items: list[Due], now: datetime) -> tuple[str, list[dict]]:
    today = clock.to_local(now).date()
    blocks = [_section(f":alarm_clock: *Reminder from {escape(items[0].partnership)}*")]
    for i in items:
        d = i.deadline
        late = " _(late)_" if i.late else ""
        if i.overdue:
            head = (f"*{escape(d.title)}* was due {when(d.due_at)} ({relative(d.due_at, today)}) "
                    f"and is now overdue.{late}")
        else:
            head = f"*{escape(d.title)}* is due {when(d.due_at)}, {relative(d.due_at, today)}.{late}"
        if not i.owed:
            blocks.append(_section(f"{head}\nYou are named on this deadline."))
            continue
        owed = [f"• {_OWED.get(o.what, 'an update on')} {escape(o.ref)} "
                f"“{escape(o.title)}”" for o in i.owed]
        blocks.extend(_sections([head, "Still needed from you:"] + owed))
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
    return shorten(text, FALLBACK_MAX), _limit(blocks, "…and more: `/crg deadlines` lists them all.")


def render_digest(due: Due, now: datetime) -> tuple[str, list[dict]]:
    c: DigestContent = due.digest
    today = clock.to_local(now).date()
    name = escape(c.partnership)
    blocks = [{"type": "header", "text": {"type": "plain_text",
                                          "text": shorten(f"Weekly digest: {name}", 150)}}]
    if c.overdue:
        lines = ["*Overdue*"]
        for d, owed in c.overdue:
            lines.append(f"• *{escape(d.title)}* (due {when(d.due_at)}):")
            for item, people in owed:
                who = ", ".join(mention(p) for p in people)
                lines.append(f"    {escape(item.ref)} “{escape(item.title)}”: {who}")
        blocks.extend(_sections(lines))
    else:
        blocks.append(_section("*Overdue*\nNothing is overdue."))
    if c.upcoming:
        lines = ["*Coming up*"] + [f"• *{escape(d.title)}* ({escape(d.kind_label)}): "
                                    f"{when(d.due_at)}, {relative(d.due_at, today)}"
                                    for d in c.upcoming]
        blocks.extend(_sections(lines))
    else:
        blocks.append(_section("*Coming up*\nNo deadlines in the next two weeks."))
    if c.figures is not None:
        blocks.extend(_sections(pot_lines(c)))
    if due.late:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"_Sent late: it was due {when(due.slot_at)}._"}]})
    overdue = sum(len(owed) for _, owed in c.overdue)
    text = (f"Weekly digest for {name}: {overdue} overdue, {len(c.upcoming)} coming up")
    return shorten(text, FALLBACK_MAX), _limit(blocks, "…")


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


def where(recipient: str) -> str:
    if recipient == NO_CHANNEL:
        return "the working-group channel (none is set for this partnership)"
    if recipient[:1] in ("U", "W"):
        return f"{mention(recipient)} (by DM)"
    if recipient[:1] in ("C", "G") and recipient.isalnum():
        return f"<#{recipient}>"
    return escape(recipient)


RESENDABLE = ("failed", "in_doubt")  # the states an admin may send a message again from


def render_alert(partnership: str,
                 problems: list[tuple[int, str, str, str, str]]) -> tuple[str, list[dict]]:
    """To a partnership's admins: messages the clock could not (or may not) have delivered.

    `problems` are (message id, recipient, state, error, the message's own text). Each problem
    is a section, with a "Send it again" button under it (`resend_actions`) unless a resend
    could only fail the same way. The pairs are never split when the list is cut to Slack's
    50 blocks: the problems left out are named, by id, in the last block.
    """
    blocks = [_section(f":warning: *The reminder clock needs a hand with {escape(partnership)}*")]
    for n, (mid, recipient, state, error, text) in enumerate(problems):
        pair = [_section(_problem(mid, recipient, state, error, text))]
        if recipient != NO_CHANNEL:
            pair.append(resend_actions(mid, recipient, state))
        room = MESSAGE_BLOCKS_MAX - (1 if n < len(problems) - 1 else 0)  # one for "and more"
        if len(blocks) + len(pair) > room:
            blocks.append(_section(_left_out([p[0] for p in problems[n:]])))
            break
        blocks.extend(pair)
    text = f"The reminder clock could not deliver {len(problems)} message(s) for {escape(partnership)}"
    return shorten(text, FALLBACK_MAX), blocks


def _problem(mid: int, recipient: str, state: str, error: str, text: str) -> str:
    said = shorten(escape(error), 500)
    again = f"press *Send it again* below (or run `crg clock --resend {mid}`)"
    if state == "in_doubt":
        line = (f"• Message {mid} to {where(recipient)}: Slack never confirmed it (the clock "
                f"stopped, or Slack failed or did not answer in time), so it may or may not have "
                f"arrived, and the conversation could not be read back to check (Slack said "
                f"`{said}`). It was not sent again, to avoid a duplicate; if it did not arrive, "
                f"{again}.")
    else:
        hint = (" Set one with `crg partnership channel NAME CHANNEL --working-group`."
                if recipient == NO_CHANNEL else
                " Check the bot is in that channel (or that the person is still in the "
                f"workspace), then {again}.")
        line = (f"• Message {mid} to {where(recipient)} was not delivered: Slack said "
                f"`{said}`.{hint}")
    return line + "\n>" + shorten(" ".join(text.split()), 300)


def _left_out(ids: list[int]) -> str:
    listed = ", ".join(str(i) for i in ids)
    return shorten(f"…and {len(ids)} more, which do not fit in one message: {listed}. Once you "
                   "have checked each (or fixed its cause), run `crg clock --resend ID` for it; "
                   "the clock's log has the details.", SECTION_TEXT_MAX)


def resend_actions(mid: int, recipient: str, state: str) -> dict:
    """The "Send it again" button under one problem, with a warning fit for its state: an
    in-doubt message may be there already (a resend would duplicate it); a failed one fails
    again unless its cause is fixed first."""
    dm = recipient[:1] in ("U", "W")
    if state == "in_doubt":
        check = "with the person (it was a DM)" if dm else "the channel"
        warning = (f"Message {mid} may already have arrived: Slack never confirmed it. Check "
                   f"{check} first: if it is there, sending it again posts it a second time.")
    else:
        cause = ("the person is still in the workspace" if dm else
                 "the bot is in the channel (/invite it there)")
        warning = (f"Slack did not take message {mid}. Fix the cause first: make sure {cause}, "
                   "or, if Slack itself was failing, that it works again. Otherwise it fails "
                   "again and you are told again.")
    confirm = confirm_dialog(f"Send message {mid} again?", {"type": "plain_text", "text": warning},
                             "Send it again", "danger" if state == "in_doubt" else "primary")
    return {"type": "actions", "block_id": f"{RESEND_ACTION}_{mid}",
            "elements": [button("Send it again", RESEND_ACTION, str(mid), confirm=confirm)]}


def _sweep_minutes() -> int:
    from jobs.clock import SWEEP_MINUTES  # here: jobs.clock imports this module (via the sweep)

    return SWEEP_MINUTES


def _goes_out() -> str:
    return f"it goes out at the clock's next sweep, within {_sweep_minutes()} minutes."


def queued(mid: int) -> str:
    return f"Message {mid} is queued to be sent again: {_goes_out()}"


def moved_on(mid: int, state: str, delivered_at: datetime | None) -> str:
    """Why a message is not sent again now: someone already asked, or it is settled."""
    if state == "retry":
        return f"Message {mid} is already queued to be sent again: {_goes_out()}"
    if state in ("claimed", "sending", "unconfirmed"):
        return f"Message {mid} is being sent right now; there is nothing to do."
    if state == "delivered":
        on = f" on {when(delivered_at)}" if delivered_at else ""
        return f"Message {mid} was delivered{on}, so it is not sent again."
    return f"Message {mid} is {state}; only a failed or in-doubt message can be sent again."


def resend_ids(blocks: list[dict]) -> list[int]:
    """The messages an alert's blocks offer (or offered) to send again."""
    prefix = f"{RESEND_ACTION}_"
    return [int(b["block_id"][len(prefix):]) for b in blocks
            if str(b.get("block_id", "")).startswith(prefix)]


def alert_after_resend(blocks: list[dict], states: dict[int, tuple[str, datetime | None]],
                       resent: int, by: str, at: datetime) -> list[dict]:
    """An alert as it should read once `by` asked for message `resent` to be sent again: that
    button, and those of messages since sent or queued, become a line saying so, so that no
    admin who got the same alert clicks again for nothing."""
    changed = []
    for block in blocks:
        mid = (resend_ids([block]) or [None])[0]
        state, delivered_at = states.get(mid, ("", None))
        if not state or (state in RESENDABLE and mid != resent):
            changed.append(block)  # not one of the alert's buttons, or still to be decided
            continue
        line = moved_on(mid, state, delivered_at)
        if mid == resent:
            now = queued(mid) if state in RESENDABLE + ("retry",) else line
            line = f"{mention(by)} asked for it to be sent again ({when(at)}). {now}"
        mark = ":white_check_mark:" if state == "delivered" else ":arrows_counterclockwise:"
        changed.append({"type": "context", "block_id": block["block_id"],
                        "elements": [{"type": "mrkdwn", "text": f"{mark} {line}"}]})
    return changed
