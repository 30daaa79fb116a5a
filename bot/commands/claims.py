"""`/crg claim REF` and `/crg conditions ...`: claims for money with their evidence, and the
grant's conditions.

The services decide who may: each form opens only after the domain's `may_…` has said yes.
"""
from backend.domain import claims, conditions, partnerships, proposals
from backend.domain.errors import InvalidInput
from backend.slack.blocks import text_section
from backend.slack.claim_messages import claims_lines, condition_blocks, conditions_blocks
from backend.slack.text import escape
from bot.commands.finance import _ref
from bot.context import number
from bot.forms import open_modal
from bot.router import Reply, subcommand
from bot.views import claim_forms

CONDITIONS_USAGE = ("conditions | conditions add | conditions edit N | conditions retire N | "
                    "conditions REF [add]")


@subcommand("claim", "claim REF", "claim money on an approved project with its invoice or "
            "receipt (its lead or finance staff; opens a form)", "/crg claim CRG-2024/25-007")
def make_claim(request, args):
    found = proposals.find(request.partnership_id, _ref(args, "claim REF"))
    found = claims.may_claim(request.actor, found.id)  # refused before anything is typed
    open_modal(request.client, request.trigger_id,
               claim_forms.claim_form(found, request.channel_id or ""))
    return None


@subcommand("claims", "claims REF", "a project's claims: what each asks, its state and its "
            "files", "/crg claims CRG-2024/25-007")
def list_claims(request, args):
    found = proposals.find(request.partnership_id, _ref(args, "claims REF"))
    made = claims.for_project(found.id)
    if not made:
        return Reply(f"{found.ref} has no claims yet; its lead makes one with "
                     f"`/crg claim {found.ref}`.")
    text = f"*Claims on {found.ref}*\n" + "\n".join(claims_lines(made))
    return Reply(text, [text_section(text)])


@subcommand("conditions", CONDITIONS_USAGE, "the grant's conditions: the partnership's usual "
            "ones (admins add, edit and retire them), or one project's, to mark met, accept or "
            "waive", "/crg conditions CRG-2024/25-007")
def conditions_command(request, args):
    words = args.split()
    first = words[0].lower() if words else ""
    pid = request.partnership_id
    if first in ("add", "edit", "retire"):
        conditions.may_change_template(request.actor, pid)
        if first == "retire":
            retired = conditions.retire_template(request.actor, _number(words, first))
            return Reply(f"Retired “{escape(retired.title)}”: projects approved from now on "
                         "will not get it (those that have it keep it).")
        current = None
        if first == "edit":
            wanted = _number(words, first)
            current = next((t for t in conditions.templates(pid) if t.id == wanted), None)
            if current is None:
                raise InvalidInput(f"There is no condition {wanted} in use; `/crg conditions` "
                                   "lists them.")
        about = (f"The usual conditions of {partnerships.name_of(pid)}: every project approved "
                 "from now on gets them.")
        meta = {"partnership_id": pid, "template_id": current.id if current else 0}
        open_modal(request.client, request.trigger_id, claim_forms.condition_form(
            claim_forms.CONDITION_TEMPLATE_CALLBACK, meta, about, current))
        return None
    if first:
        return _project_conditions(request, words)
    usual = conditions.templates(pid)
    if not usual:
        return Reply(f"{escape(partnerships.name_of(pid))} has no usual grant conditions yet; an "
                     "admin adds them with `/crg conditions add`.")
    lines = [f"• #{t.id} *{escape(t.title)}* · {t.due_label}"
             + (" · needs a file" if t.needs_file else "") for t in usual]
    text = (f"*The usual grant conditions of {escape(partnerships.name_of(pid))}* (attached to "
            "every project as it is approved)\n" + "\n".join(lines))
    return Reply(text, [text_section(text)])


def _project_conditions(request, words: list[str]) -> Reply | None:
    found = proposals.find(request.partnership_id, words[0])
    if words[1:] and words[1].lower() == "add":
        conditions.may_change_template(request.actor, request.partnership_id)
        open_modal(request.client, request.trigger_id, claim_forms.condition_form(
            claim_forms.CONDITION_PROJECT_CALLBACK, {"proposal_id": found.id},
            f"A condition only {found.ref} has."))
        return None
    items = conditions.for_project(found.id)
    if not items:
        return Reply(f"{found.ref} has no grant conditions.")
    admin = conditions.is_admin(request.actor, request.partnership_id)
    blocks = conditions_blocks(items, heading=f"*Conditions of {found.ref}*")
    for c in items:
        if c.outstanding:
            blocks += condition_blocks(c, for_admin=admin)
    return Reply(f"Conditions of {found.ref}", blocks[:50])


def _number(words: list[str], verb: str) -> int:
    found = number(words[1]) if len(words) > 1 else None
    if found is None:
        raise InvalidInput(f"Write it as `/crg conditions {verb} N`, with the condition's number "
                           "from `/crg conditions`.")
    return found
