"""The claim form (with its files), the one-question forms behind the claim and condition
buttons (a query, an answer, a reason), and the condition forms.

Block ids are the services' field names (amount, date, memo, invoice_ref, files; question,
answer, reason; title, explanation, due, needs_file, note), so a refusal lands against its input.
"""
from datetime import date

from backend.domain import claims, conditions, evidence, spend
from backend.domain.errors import InvalidInput
from backend.domain.evidence import SentFile
from backend.domain.money import format_pence, parse_amount
from backend.domain.proposals import ProposalView
from backend.slack.blocks import context, section
from backend.slack.text import context_text, escape, shorten
from bot.views.finance_forms import _about, _likely_day, _modal, _text, _value
from bot.views.proposal_form import _date_input, _option, _text_input

CLAIM_CALLBACK = "claim_make"
CLAIM_BLOCKS = ("amount", "date", "memo", "invoice_ref", "files")
# Slack's file_input: the kinds of file a claim's evidence may be.
FILETYPES = ["pdf", "png", "jpg", "jpeg", "gif", "heic", "doc", "docx", "xls", "xlsx", "odt",
             "ods", "csv", "txt"]
# The one-question forms: callback id -> (title, label, submit, field).
ASK = {
    "claim_query": ("Query the claim", "Your question for the lead", "Send question",
                    "question"),
    "claim_reject": ("Reject the claim", "Why it is rejected", "Reject", "reason"),
    "claim_answer": ("Answer finance", "Your answer", "Send answer", "answer"),
    "condition_send_back": ("Send it back", "What is still needed", "Send back", "reason"),
    "condition_waive": ("Waive the condition", "Why it is waived", "Waive", "reason"),
}
CONDITION_TEMPLATE_CALLBACK = "condition_template"
CONDITION_PROJECT_CALLBACK = "condition_project"
CONDITION_MET_CALLBACK = "condition_met"
CONDITION_BLOCKS = ("title", "explanation", "due", "needs_file")
MET_BLOCKS = ("note", "files")


def files_input(label: str, optional: bool) -> dict:
    limit = evidence.limit_label()
    return {"type": "input", "block_id": "files", "optional": optional,
            "label": {"type": "plain_text", "text": label},
            "hint": {"type": "plain_text",
                     "text": f"PDF, images or Office documents; up to {evidence.MAX_FILES} "
                             f"files of at most {limit} each. The tracker keeps a copy."},
            "element": {"type": "file_input", "action_id": "value", "filetypes": FILETYPES,
                        "max_files": evidence.MAX_FILES}}


def claim_form(p: ProposalView, origin_channel: str = "") -> dict:
    money = spend.so_far(p.id)
    left = spend.left_to_spend_of(p.id)
    blocks = [
        _about(p),
        context(f"Approved {format_pence(money.approved)} · spent {format_pence(money.spent)} · "
                f"left to claim {format_pence(left)} (claims waiting for finance count against "
                "it)"),
        _text_input("amount", "Amount claimed (£)", placeholder="e.g. 1,250 or 1,250.50"),
        _date_input("date", "Date of the cost", _likely_day(p)) | {"optional": False},
        _text_input("memo", "What it was for", max_length=500),
        _text_input("invoice_ref", "Invoice or receipt reference", optional=True,
                    max_length=100),
        files_input("Invoice, receipt or other evidence", optional=False),
    ]
    return _modal(CLAIM_CALLBACK, "Claim money", "Send claim", blocks,
                  {"proposal_id": p.id, "channel": origin_channel})


def sent_files(values: dict) -> list[SentFile]:
    """The files a submitted form's file_input carries."""
    files = _value(values, "files").get("files") or []
    return [SentFile(str(f.get("id") or ""), str(f.get("name") or f.get("title") or ""))
            for f in files if isinstance(f, dict)]


def read_claim(values: dict) -> dict:
    raw = _value(values, "date").get("selected_date")
    try:
        on = date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        on = None
    if on is None:
        raise InvalidInput("Pick the date of the cost from the calendar.", field="date")
    return {"amount_pence": parse_amount(_text(values, "amount")), "cost_on": on,
            "memo": _text(values, "memo"), "invoice_ref": _text(values, "invoice_ref"),
            "files": sent_files(values)}


def ask_form(callback: str, thing_id: int, about: str) -> dict:
    """A form of one question (a query, an answer, a reason) about a claim or condition."""
    title, label, submit, field = ASK[callback]
    blocks = [context(context_text(shorten(about, 1500))),
              _text_input(field, label, multiline=True, max_length=3000)]
    return _modal(callback, title, submit, blocks, {"id": thing_id})


ANSWER_BLOCKS = ("answer", "amount", "date", "memo", "invoice_ref", "files")


def answer_form(c: claims.ClaimView, origin_channel: str = "") -> dict:
    """The lead's answer to finance's query: the answer, and the claim as it stands, to correct
    if the question showed it wrong, and more files (a receipt that was missing)."""
    question = next((said for kind, _, said in reversed(c.conversation) if kind == "query"), "")
    blocks = [context(context_text(shorten(claim_about(c), 1000))),
              section(f"*Finance asks:* {escape(shorten(question, 2500))}"),
              _text_input("answer", "Your answer", multiline=True, max_length=3000),
              _text_input("amount", "Amount claimed (£)",
                          initial=format_pence(c.amount_pence).lstrip("£")),
              _date_input("date", "Date of the cost", c.cost_on) | {"optional": False},
              _text_input("memo", "What it was for", max_length=500, initial=c.memo),
              _text_input("invoice_ref", "Invoice or receipt reference", optional=True,
                          max_length=100, initial=c.invoice_ref),
              files_input("More evidence, if asked", optional=True)]
    return _modal("claim_answer", "Answer finance", "Send answer", blocks, {"id": c.id})


def read_answer(values: dict) -> dict:
    """The submitted answer as claims.answer's arguments: the claim as corrected, new files."""
    fields = read_claim(values)
    files = fields.pop("files")
    return {"text": _text(values, "answer"), "files": files, "changes": claims.Changes(**fields)}


def claim_about(c: claims.ClaimView) -> str:
    return (f"Claim {c.ref}: {format_pence(c.amount_pence)} for "
            f"{escape(shorten(c.memo, 300))}")


def condition_about(c: conditions.ConditionView) -> str:
    return f"{c.ref}: {escape(c.title)} ({c.due_label})"


def asked(values: dict, callback: str) -> str:
    return _text(values, ASK[callback][3])


def condition_form(callback: str, metadata_: dict, about: str,
                   current: conditions.TemplateView | None = None) -> dict:
    """A condition's words: a partnership's usual one (new or edited), or one project's own."""
    dues = [_option(value, label.capitalize()) for value, label in conditions.DUES.items()]
    due = {"type": "input", "block_id": "due",
           "label": {"type": "plain_text", "text": "When it must be met"},
           "element": {"type": "radio_buttons", "action_id": "value", "options": dues}}
    needs = _option("yes", "The lead must attach a file (a signed agreement, a certificate)")
    needs_file = {"type": "input", "block_id": "needs_file", "optional": True,
                  "label": {"type": "plain_text", "text": "Evidence"},
                  "element": {"type": "checkboxes", "action_id": "value", "options": [needs]}}
    if current is not None:
        due["element"]["initial_option"] = next(o for o in dues if o["value"] == current.due)
        if current.needs_file:
            needs_file["element"]["initial_options"] = [needs]
    blocks = [context(context_text(about)),
              _text_input("title", "Condition", max_length=200,
                          initial=current.title if current else "",
                          placeholder="e.g. Signed grant agreement"),
              _text_input("explanation", "What it asks, in plain words", multiline=True,
                          optional=True, max_length=3000,
                          initial=current.explanation if current else ""),
              due, needs_file]
    return _modal(callback, "Grant condition", "Save", blocks, metadata_)


def read_condition(values: dict) -> dict:
    due = (_value(values, "due").get("selected_option") or {}).get("value") or ""
    ticked = _value(values, "needs_file").get("selected_options") or []
    return {"title": _text(values, "title"), "explanation": _text(values, "explanation"),
            "due": due, "needs_file": bool(ticked)}


def met_form(c: conditions.ConditionView, origin_channel: str = "") -> dict:
    blocks = [context(context_text(condition_about(c)
                                   + (f"\n{escape(shorten(c.explanation, 1000))}"
                                      if c.explanation else ""))),
              _text_input("note", "How it is met", multiline=True, max_length=3000),
              files_input("The evidence" + (" (needed)" if c.needs_file else ""),
                          optional=not c.needs_file)]
    return _modal(CONDITION_MET_CALLBACK, "Condition met", "Send", blocks,
                  {"id": c.id, "channel": origin_channel})


