"""Proposal subcommands: propose, edit, withdraw, show, list, mine."""
from backend.domain import claims, conditions, proposals, spend, years
from backend.domain.errors import InvalidInput
from backend.domain.pots import year_figures
from backend.domain.workflow import STATUS_LABELS
from backend.slack.blocks import (
    history_blocks,
    proposal_blocks,
    proposal_line,
    section,
    spend_blocks,
)
from backend.slack import scoring_blocks
from backend.slack.text import escape, nearest
from backend.slack.claim_messages import claims_blocks, conditions_blocks
from bot.forms import open_modal
from bot.router import Reply, subcommand
from bot.views import proposal_form
from bot.views.finance_forms import latest_progress_blocks


def open_form(client, trigger_id: str, partnership_id: int, user_id: str, *,
              existing=None, origin_channel: str | None = "") -> None:
    """Open the proposal modal at once: a trigger id dies three seconds after the click."""
    year = years.find_year(partnership_id, existing.year_label if existing else None)
    view = proposal_form.build(years.year_info(year), year_figures(year).pots, user_id,
                               existing=existing, origin_channel=origin_channel or "")
    open_modal(client, trigger_id, view)


@subcommand("propose", "propose", "propose a project (opens a form)")
def propose(request, args):
    open_form(request.client, request.trigger_id, request.partnership_id, request.actor.id,
              origin_channel=request.channel_id)
    return None


def _need_ref(args: str, usage: str) -> str:
    if not args:
        raise InvalidInput(f"Say which proposal: `/crg {usage}`, e.g. `/crg {usage.split()[0]} "
                           f"CRG-2024/25-007`.")
    return args.split()[0]


@subcommand("edit", "edit REF", "change your proposal while it is only submitted",
            "/crg edit CRG-2024/25-007")
def edit(request, args):
    found = proposals.find(request.partnership_id, _need_ref(args, "edit REF"))
    found = proposals.editable_by(request.actor, found.id)
    open_form(request.client, request.trigger_id, found.partnership_id, request.actor.id,
              existing=found, origin_channel=request.channel_id)
    return None


@subcommand("withdraw", "withdraw REF", "withdraw your proposal", "/crg withdraw CRG-2024/25-007")
def withdraw(request, args):
    found = proposals.find(request.partnership_id, _need_ref(args, "withdraw REF"))
    done = proposals.withdraw(request.actor, found.id)
    return Reply(f"{done.ref} “{escape(done.title)}” is withdrawn.")


@subcommand("show", "show REF", "a proposal's details and history", "/crg show CRG-2024/25-007")
def show(request, args):
    found = proposals.find(request.partnership_id, _need_ref(args, "show REF"))
    money = []
    if found.status in ("approved", "cancelled") and found.approved_pence:
        so_far = spend.so_far(found.id)
        money = spend_blocks(spend.lines_for(found.id), so_far.approved, so_far.spent)
    blocks = (proposal_blocks(found, full=True) + money
              + claims_blocks(claims.for_project(found.id))
              + conditions_blocks(conditions.for_project(found.id))
              + latest_progress_blocks(found.id) + scoring_blocks.show_blocks(found.id)
              + history_blocks(proposals.history(found.id)))
    return Reply(f"{found.ref}: {escape(found.title)}", blocks[:50])


STATUS_WORDS = {**{k: k for k in STATUS_LABELS}, "with-opcc": "submitted_to_opcc",
                "opcc": "submitted_to_opcc", "changes": "changes_requested"}


@subcommand("list", "list [STATUS]", "this year's proposals, optionally only one status",
            "/crg list supported")
def list_proposals(request, args):
    status = None
    if args:
        word = args.split()[0].lower().replace(" ", "_")
        status = STATUS_WORDS.get(word)
        if status is None:
            guess = nearest(word, STATUS_WORDS)
            hint = f" Did you mean `{guess}`?" if guess else ""
            return Reply(f"“{escape(args)}” is not a status.{hint} Statuses: "
                         + ", ".join(f"`{k}`" for k in STATUS_LABELS) + ".")
    year = years.find_year(request.partnership_id)
    found = proposals.list_for_year(year.id, status=status)
    title = f"{year.partnership.name} {year.label}" + (f" · {STATUS_LABELS[status]}" if status else "")
    return _listing(title, found, "No proposals yet: `/crg propose` to add one.")


@subcommand("mine", "mine", "your proposals and where they stand")
def mine(request, args):
    return _listing("Your proposals", proposals.list_for_person(request.actor.id),
                    "You have no proposals yet: `/crg propose` to add one.")


def _listing(title: str, found, empty: str) -> Reply:
    if not found:
        return Reply(f"{escape(title)}: {empty}")
    lines = [proposal_line(p) for p in found[:40]]
    more = f"\n…and {len(found) - 40} more" if len(found) > 40 else ""
    text = f"*{escape(title)}* ({len(found)})\n" + "\n".join(lines) + more
    return Reply(text, [section(text[:2990])])
