"""Block Kit for what the app shows in Slack: the builders, and proposals, pots, history.

Every user-typed string passes through backend.slack.text (escaped for mrkdwn, shortened to
Block Kit's limits); the full text stays in the database.
"""
from backend.domain import directory, times
from backend.domain.actors import slack_user_of
from backend.domain.audit import HistoryLine
from backend.domain.money import format_pence
from backend.domain.pots import YearFigures
from backend.domain.proposals import ProposalView
from backend.slack.text import (
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    context_text,
    escape,
    field_text,
    header_text,
    is_user_id,
    mention,
    section_text,
    shorten,
)


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": header_text(text) or "…"}}


def text_section(text: str) -> dict:
    """A section of text already escaped, shortened to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": shorten(text, SECTION_TEXT_MAX)}}


def packed_sections(lines: list[str]) -> list[dict]:
    """Lines packed into as few section blocks as fit Slack's limit."""
    blocks, current = [], ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_TEXT_MAX - 100 and current:
            blocks.append(text_section(current))
            current = line
        else:
            current = candidate
    if current:
        blocks.append(text_section(current))
    return blocks


def within_message(blocks: list[dict], more: str) -> list[dict]:
    """At most Slack's 50 blocks: what does not fit becomes one last section saying `more`."""
    if len(blocks) <= MESSAGE_BLOCKS_MAX:
        return blocks
    return blocks[:MESSAGE_BLOCKS_MAX - 1] + [text_section(more)]


def confirm_dialog(title: str, text: dict, confirm: str, style: str | None = None) -> dict:
    """A button's "are you sure?" (`text` a plain_text or mrkdwn object); "Not now" backs out."""
    dialog = {"title": {"type": "plain_text", "text": title}, "text": text,
              "confirm": {"type": "plain_text", "text": confirm},
              "deny": {"type": "plain_text", "text": "Not now"}}
    if style:
        dialog["style"] = style
    return dialog


def button(text: str, action_id: str, value: str = "", style: str | None = None,
           confirm: dict | None = None) -> dict:
    element = {"type": "button", "text": {"type": "plain_text", "text": text[:75]},
               "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def proposal_line(p: ProposalView) -> str:
    """One line per proposal in lists: reference, title, amount, status."""
    amount = format_pence(p.approved_pence if p.approved_pence is not None else p.amount_pence)
    return (f"*{p.ref}* {section_text(shorten(p.title, 120))} · {p.pot} · {amount} · "
            f"_{p.status_label}_")


def proposal_blocks(p: ProposalView, *, full: bool = False) -> list[dict]:
    amount = format_pence(p.amount_pence)
    if p.approved_pence is not None and p.approved_pence != p.amount_pence:
        amount += f" (approved {format_pence(p.approved_pence)})"
    fields = [
        f"*Reference*\n{p.ref}", f"*Status*\n{p.status_label}",
        f"*Amount*\n{amount}", f"*Pot*\n{p.pot.capitalize()}",
        f"*Lead organisation*\n{field_text(shorten(p.lead_organisation, 300))}",
        f"*Contact*\n{person(p.contact_slack_id) if p.contact_slack_id else field_text(p.contact_name)}",
    ]
    blocks = [header(p.title),
              {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]}]
    priorities = ", ".join(p.priorities)
    if priorities:
        blocks.append(section(f"*Priorities:* {section_text(priorities)}"))
    if p.description:
        limit = 2800 if full else 500
        blocks.append(section(section_text(shorten(p.description, limit))))
    if p.planned_start or p.planned_end:
        blocks.append(context(f"Planned {times.show_date(p.planned_start) or '?'} to "
                              f"{times.show_date(p.planned_end) or '?'}"
                              + _planned_spend(p)))
    if p.decision_note:
        blocks.append(section(f"*Note:* {section_text(shorten(p.decision_note, 1000))}"))
    blocks.append(context(context_text(f"{p.partnership} · {p.year_label}") + " · proposed by "
                          + mention(p.proposer_slack_id) + f" on {times.show(p.created_at)}"))
    return blocks


def _planned_spend(p: ProposalView) -> str:
    if not p.planned_spend:
        return ""
    return " · planned spend " + ", ".join(f"{q} {format_pence(v)}"
                                           for q, v in sorted(p.planned_spend.items()))


def person(user_id: str, known: dict[str, str] | None = None) -> str:
    """Someone in a Slack message: a mention, which Slack shows as their current name; an id
    Slack would not render (a malformed one) by the directory's name instead, never bare."""
    if is_user_id(user_id):
        return mention(user_id)
    return escape(directory.label(user_id, known))


def who(audit_name: str, known: dict[str, str] | None = None) -> str:
    """Who did something, from the audit trail's or the ledger's record of it."""
    user = slack_user_of(audit_name)
    if user:
        return person(user, known)
    return context_text(shorten(directory.describe_actor(audit_name), 80))


def history_blocks(lines: list[HistoryLine]) -> list[dict]:
    if not lines:
        return []
    shown = lines[-30:]
    known = directory.names(directory.people_in(h.actor for h in shown))
    text = "\n".join(f"• {times.show(h.at)}: {_describe(h)} by {who(h.actor, known)}"
                     for h in shown)
    return [section("*History*\n" + shorten(text, 2900))]


def _describe(h: HistoryLine) -> str:
    action = h.action.split(".", 1)[-1].replace("_", " ")
    before, after = h.before.get("status"), h.after.get("status")
    moved = f" ({before} → {after})" if before and after and before != after else ""
    return action + moved


def spend_blocks(lines, approved: int, spent: int) -> list[dict]:
    """A funded project's spend for `/crg show`: the total against what was approved, then each
    line (a correction as a minus against the line it corrects)."""
    head = (f"*Spend*: {format_pence(spent)} of {format_pence(approved)} approved "
            f"({format_pence(approved - spent)} left)")
    if not lines:
        return [section(f"{head}. Nothing recorded yet.")]
    shown = []
    for line in lines[-25:]:
        amount = (f"−{format_pence(line.amount_pence)} (corrects line {line.reversal_of})"
                  if line.reversal_of else format_pence(line.amount_pence))
        reference = f" · {context_text(shorten(line.reference, 60))}" if line.reference else ""
        shown.append(f"• {times.show_date(line.spent_on)} · {amount} · "
                     f"{context_text(shorten(line.memo, 200))}{reference} (line {line.id})")
    earlier = f"\n…and {len(lines) - 25} earlier lines" if len(lines) > 25 else ""
    return [text_section(head + "\n" + "\n".join(shown) + earlier)]


def pots_blocks(f: YearFigures) -> list[dict]:
    lines = []
    for kind, pot in f.pots.items():
        state = " 🔒 locked until every upfront proposal is decided" if pot.locked else ""
        lines.append(f"*{kind.capitalize()}*: {format_pence(pot.available)} available of "
                     f"{format_pence(pot.allocated)} · committed {format_pence(pot.committed)} · "
                     f"spent {format_pence(pot.spent)}"
                     + (f" · earmarked {format_pence(pot.earmarked)}" if pot.earmarked else "")
                     + state)
    rolled = f", {format_pence(f.rolled_over)} rolled over" if f.rolled_over else ""
    return [
        section(f"*{section_text(f.partnership)} · {f.label}* — allocation "
                f"{format_pence(f.allocation)} (upfront {format_pence(f.upfront_share)}, "
                f"tactical {format_pence(f.tactical_share)}{rolled})"),
        section("\n".join(lines)),
        context(f"Year end so far: uncommitted {format_pence(f.uncommitted)} · committed but "
                f"unspent {format_pence(f.committed_unspent)} · underspend to return "
                f"{format_pence(f.underspend)}"),
    ]
