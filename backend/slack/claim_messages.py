"""The words of claims and conditions in Slack: the claim posted for finance with its buttons,
and what the lead and the admins hear as it moves on. Worded when sent (see
`backend.slack.renderers`), from the claim as it is at that moment.
"""
from backend.domain import claims, conditions, evidence, proposals, times
from backend.domain.claims import ClaimView
from backend.domain.conditions import ConditionView
from backend.domain.money import format_pence
from backend.slack.action_ids import (
    CLAIM_ANSWER,
    CLAIM_APPROVE,
    CLAIM_QUERY,
    CLAIM_REJECT,
    CONDITION_ACCEPT,
    CONDITION_MET,
    CONDITION_SEND_BACK,
    CONDITION_WAIVE,
)
from backend.slack.blocks import button, context, section, text_section, who
from backend.slack.text import escape, mention, section_text, shorten


def file_line(f) -> str:
    if f.state == "kept":
        return f"• {escape(f.name)} ({f.size_label}, kept)"
    if f.state == "missing":
        return f"• :warning: {escape(f.name)}: missing ({escape(f.problem)})"
    return f"• {escape(f.name)} (being fetched from Slack)"


def claim_summary(c: ClaimView) -> str:
    return f"claim {c.ref} for {format_pence(c.amount_pence)}"


def claim_blocks(c: ClaimView, *, buttons: bool = True) -> list[dict]:
    project = proposals.get(c.proposal_id)
    lines = [f"*Claim {c.ref}* · {format_pence(c.amount_pence)} · _{c.state_label}_",
             f"{project.ref} “{escape(shorten(project.title, 150))}” · claimed by "
             f"{mention(c.claimant)}",
             f"*Cost on* {times.show_date(c.cost_on)} · *For* {escape(shorten(c.memo, 500))}"
             + (f" · *Invoice* {escape(c.invoice_ref)}" if c.invoice_ref else "")]
    blocks = [text_section("\n".join(lines))]
    if c.files:
        blocks.append(text_section("*Evidence*\n" + "\n".join(file_line(f) for f in c.files)))
    for kind, author, said in c.conversation[-6:]:
        asked = "Finance asked" if kind == "query" else "The lead answered"
        blocks.append(section(f"*{asked}* ({who(author)}): " + section_text(shorten(said, 1500))))
    blockers = conditions.release_blockers(c.proposal_id) if c.waiting else []
    if blockers:
        blocks.append(context(":warning: Not payable yet: the project's conditions before "
                              "release are not met: " + "; ".join(
                                  f"“{escape(shorten(t, 100))}”" for t in blockers[:5])))
    if c.waiting and buttons:
        value = str(c.id)
        blocks.append({"type": "actions", "block_id": f"claim_{c.id}", "elements": [
            button("Approve", CLAIM_APPROVE, value, "primary"),
            button("Query", CLAIM_QUERY, value),
            button("Reject", CLAIM_REJECT, value, "danger")]})
    elif c.decided_by and not c.waiting:
        said = f": {escape(shorten(c.reason, 500))}" if c.reason else ""
        line = f" (spend line {c.spend_entry_id})" if c.spend_entry_id else ""
        blocks.append(context(f"{c.state_label.capitalize()} by {who(c.decided_by)} on "
                              f"{times.show(c.decided_at)}{line}{said}"))
    return blocks


def claims_lines(made: list[ClaimView]) -> list[str]:
    """One line a claim, with its files beneath: for `/crg claims` and `/crg show`."""
    lines = []
    for c in made:
        lines.append(f"*{c.ref}* · {format_pence(c.amount_pence)} · {escape(shorten(c.memo, 200))}"
                     f" · _{c.state_label}_")
        lines += [f"  {file_line(f)}" for f in c.files]
    return lines


def claims_blocks(made: list[ClaimView]) -> list[dict]:
    """A project's claims for `/crg show` (nothing when it has none)."""
    if not made:
        return []
    return [text_section("*Claims*\n" + "\n".join(claims_lines(made[-10:])))]


def claim_post(payload, settings):
    c = claims.get(payload["claim"])
    return f"New {claim_summary(c)} on {c.project_ref}", claim_blocks(c)


def claim_posts(payload, settings):
    c = claims.get(payload["claim"])
    blocks = claim_blocks(c)
    return [(to, ts, f"Claim {c.ref} ({c.state_label})", blocks) for to, ts in claims.posts_of(c.id)]


def claim_saved(payload, settings):
    c = claims.get(payload["claim"])
    where = claims.finance_channel(c.partnership_id)
    told = f" It is posted to finance in <#{where}>." if where else " Finance staff have it by DM."
    return (f"Thanks: your {claim_summary(c)} on {c.project_ref} is saved and waiting for "
            f"finance.{told} I'm keeping copies of its {len(c.files)} "
            f"file{'s' if len(c.files) != 1 else ''}."), []


def claim_news(payload, settings):
    c = claims.get(payload["claim"])
    what = payload["what"]
    if what == "answer":
        _, _, said = c.conversation[-1]
        return (f"The lead answered your question on {claim_summary(c)}: "
                f"{escape(shorten(said, 1500))}"), claim_blocks(c)
    if what == "query":
        _, author, said = c.conversation[-1]
        text = (f"Finance has a question about your {claim_summary(c)} on {c.project_ref}: "
                f"{escape(shorten(said, 1500))}")
        return text, [section(section_text(text)), {"type": "actions", "elements": [
            button("Answer", CLAIM_ANSWER, str(c.id), "primary")]}]
    if what == "approve":
        return (f"Your {claim_summary(c)} on {c.project_ref} is approved and recorded as spend "
                f"line {c.spend_entry_id}."), []
    return (f"Your {claim_summary(c)} on {c.project_ref} was rejected: "
            f"{escape(shorten(c.reason, 1500))}"), []


def evidence_missing(payload, settings):
    f = evidence.get(payload["evidence"])
    about = evidence.belongs_to(f.id)
    return (f":warning: I could not keep the file “{escape(f.name)}” of {about}: "
            f"{escape(f.problem)}. The rest is saved. Attach the file again when you answer "
            "finance's query about it, or send it to finance another way."), []


# -- conditions ----------------------------------------------------------------------------------

def condition_line(c: ConditionView) -> str:
    needs = " (needs a file)" if c.needs_file else ""
    return (f"• #{c.id} *{escape(c.title)}*{needs} · {c.due_label} · _{c.state_label}_"
            + (f" · {escape(shorten(c.answer, 200))}" if c.answer and c.outstanding else ""))


def condition_blocks(c: ConditionView, *, for_admin: bool) -> list[dict]:
    text = condition_line(c)
    if c.explanation:
        text += "\n" + escape(shorten(c.explanation, 1000))
    if c.note:
        text += f"\n*The lead's note*: {escape(shorten(c.note, 1000))}"
    files = evidence.of_condition(c.id)
    if files:
        text += "\n" + "\n".join(file_line(f) for f in files)
    value = str(c.id)
    if not c.outstanding:  # met or waived: nothing is left to press
        return [text_section(text)]
    if for_admin:
        elements = ([button("Accept", CONDITION_ACCEPT, value, "primary"),
                     button("Send back", CONDITION_SEND_BACK, value)]
                    if c.state == "submitted" else [])
        elements.append(button("Waive", CONDITION_WAIVE, value))
    else:
        elements = [button("Mark met", CONDITION_MET, value, "primary")]
    return [text_section(text), {"type": "actions", "elements": elements}]


def conditions_blocks(items: list[ConditionView], *, heading: str = "*Conditions*") -> list[dict]:
    """A project's conditions for `/crg show` and the App Home (outstanding first)."""
    if not items:
        return []
    ordered = sorted(items, key=lambda c: (not c.outstanding, c.id))
    return [text_section(heading + "\n" + "\n".join(condition_line(c) for c in ordered[:20]))]


def condition_submitted(payload, settings):
    c = conditions.get(payload["condition"])
    text = f"The lead of {c.ref} says “{escape(c.title)}” is met: accept it or send it back."
    return text, [section(section_text(text))] + condition_blocks(c, for_admin=True)


def condition_asks(payload, settings):
    """Each admin's DM asking to accept the condition, brought up to date once one decides."""
    c = conditions.get(payload["condition"])
    text = f"“{escape(c.title)}” on {c.ref} is {c.state_label}."
    blocks = [section(section_text(text))] + condition_blocks(c, for_admin=True)
    return [(to, ts, text, blocks) for to, ts in conditions.asks_of(c.id)]


def condition_news(payload, settings):
    c = conditions.get(payload["condition"])
    said = {"added": "was added to", "accept": "was accepted as met on",
            "send_back": "was sent back on", "waive": "was waived on"}[payload["what"]]
    text = f"The condition “{escape(c.title)}” {said} {c.ref}."
    if payload["what"] in ("added", "send_back"):
        return text, [section(section_text(text))] + condition_blocks(c, for_admin=False)
    return text + (f" {escape(shorten(c.answer, 1000))}" if c.answer else ""), []


RENDERERS = {
    "claim_post": claim_post, "claim_posts": claim_posts, "claim_saved": claim_saved,
    "claim_news": claim_news, "evidence_missing": evidence_missing,
    "condition_submitted": condition_submitted, "condition_news": condition_news,
    "condition_asks": condition_asks,
}
