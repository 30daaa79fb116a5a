"""Decision buttons under proposal posts, and the small forms some of them open."""
import re

from backend.domain import decisions
from backend.domain.errors import DomainError
from backend.domain.money import parse_amount
from backend.domain.outbox import notes
from backend.slack.decision_blocks import FORMS
from bot.background import tell_person
from bot.context import actor_of, json_object, number
from bot.forms import open_modal, saved
from bot.views.decision_form import FORM_CALLBACK, form, read_form


def record(actor, action: str, proposal_id: int, expected: str, answers: dict):
    """One decision through the matching service; the services check roles and states."""
    if action == "approve":
        amount = parse_amount(answers["amount"]) if answers.get("amount") else None
        return decisions.approve(actor, proposal_id, amount_pence=amount, expected_status=expected,
                                 reference_text=answers.get("reference", ""))
    if action == "vary":
        return decisions.vary(actor, proposal_id, parse_amount(answers.get("amount")),
                              answers.get("consent", ""))
    if action == "cancel":
        return decisions.cancel(actor, proposal_id, answers.get("consent", ""))
    return decisions.decide(actor, proposal_id, action, reason=answers.get("reason", ""),
                            expected_status=expected, on=answers.get("on"))


def _proposal_id(value: dict) -> int:
    """The proposal a button or form names; anything but a plain number (forged) names none."""
    return number(value.get("p")) or 0


def _where(body: dict) -> tuple[str, str]:
    container = body.get("container") or {}
    return (container.get("channel_id") or (body.get("channel") or {}).get("id") or "",
            container.get("message_ts") or "")


def register(app, settings) -> None:
    @app.action(re.compile(r"^decide_[a-z_]+$"))
    def on_decision_button(ack, body, action, client):
        ack()
        actor = actor_of(body, settings)
        name = action["action_id"][len("decide_"):]
        choice = json_object(action.get("value"))
        channel, ts = _where(body)
        proposal_id = _proposal_id(choice)
        try:
            if name in FORMS:  # asked before the form opens, and again when it is saved
                found = decisions.may_decide(actor, proposal_id, name, choice.get("s"))
                open_modal(client, body["trigger_id"], form(name, found, channel, ts))
                return
            record(actor, name, proposal_id, choice.get("s"), {})
        except DomainError as refusal:
            tell_person(actor.id, channel, refusal.message)

    @app.view(FORM_CALLBACK)
    def on_decision_form(ack, body, view, client):
        meta = json_object(view.get("private_metadata"))
        actor = actor_of(body, settings)
        answers = read_form(view["state"]["values"])
        blocks = [b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"] \
            or list(view["state"]["values"])

        def against_input(refusal):
            return {refusal.field if refusal.field in blocks else blocks[0]: refusal.message}

        notes.from_slack(meta.get("c") or None)  # where the decision's warnings are said
        saved(ack, lambda: record(actor, str(meta.get("a", "")), _proposal_id(meta), meta.get("s"), answers),
              against_input)
