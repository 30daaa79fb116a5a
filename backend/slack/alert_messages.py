"""The clock's alerts to a partnership's admins, and how they read once a message is queued again.

Every string a person typed goes through `escape` and is shortened to Block Kit's limits.
"""
from datetime import datetime

from backend.domain import times
from backend.domain.outbox import states
from backend.domain.outbox.states import RESENDABLE, moved_on, queued
from backend.domain.reminders import NO_CHANNEL
from backend.slack.blocks import button, confirm_dialog, text_section
from backend.slack.text import MESSAGE_BLOCKS_MAX, SECTION_TEXT_MAX, escape, mention, shorten

RESEND_ACTION = "clock_resend"  # the admins' "Send it again": bot.listeners.clock_alerts
FALLBACK_MAX = 3000


def where(recipient: str) -> str:
    if recipient == NO_CHANNEL:
        return "the working-group channel (none is set for this partnership)"
    if recipient[:1] in ("U", "W"):
        return f"{mention(recipient)} (by DM)"
    if recipient[:1] in ("C", "G") and recipient.isalnum():
        return f"<#{recipient}>"
    return escape(recipient)


def render_alert(partnership: str,
                 problems: list[tuple[int, str, str, str, str]]) -> tuple[str, list[dict]]:
    """To a partnership's admins: messages the clock could not (or may not) have delivered.

    `problems` are (message id, recipient, state, error, the message's own text). Each problem
    is a section, with a "Send it again" button under it (`resend_actions`) unless a resend
    could only fail the same way. The pairs are never split when the list is cut to Slack's
    50 blocks: the problems left out are named, by id, in the last block.
    """
    blocks = [text_section(f":warning: *The reminder clock needs a hand with {escape(partnership)}*")]
    for n, (mid, recipient, state, error, text) in enumerate(problems):
        pair = [text_section(_problem(mid, recipient, state, error, text))]
        if recipient != NO_CHANNEL:
            pair.append(resend_actions(mid, recipient, state))
        room = MESSAGE_BLOCKS_MAX - (1 if n < len(problems) - 1 else 0)  # one for "and more"
        if len(blocks) + len(pair) > room:
            blocks.append(text_section(_left_out([p[0] for p in problems[n:]])))
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
        hint = (" An admin sets one by typing `/crg channel link working-group` in it."
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
            line = f"{mention(by)} asked for it to be sent again ({times.show_weekday(at)}). {now}"
        mark = ":white_check_mark:" if state == "delivered" else ":arrows_counterclockwise:"
        changed.append({"type": "context", "block_id": block["block_id"],
                        "elements": [{"type": "mrkdwn", "text": f"{mark} {line}"}]})
    return changed


def alert_refresh(payload, settings):
    """An admin's alert, updated in place once one of its messages was queued again."""
    post = states.alert_post(payload["alert"])
    if post is None:
        return []
    blocks = alert_after_resend(post.blocks, states.states_of(resend_ids(post.blocks)),
                                payload["resent"], payload["by"],
                                datetime.fromisoformat(payload["at"]))
    return [(post.recipient, post.ts, post.text, blocks)]


RENDERERS = {"alert_refresh": alert_refresh}
