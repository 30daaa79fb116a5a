"""The set-up modals: choosing the working group's channel, setting a partnership up, opening a
year. Built from the domain's suggestions and read back into its terms; block ids are the
services' field names, so each refusal lands against its input.

The allocation input sends Slack a block action as each character is typed
(`dispatch_action_config: on_character_entered`, no Enter needed); the answer is a views.update
that rewrites only the line under it with the split, keeping what was typed (same block and action
ids). The split is worked out again on save, so the saved figures never depend on that line.
"""
import json

from backend.domain import years
from backend.domain.errors import DomainError
from backend.slack.blocks import context, section
from backend.slack.text import context_text, modal_title
from bot.context import json_object
from bot.forms import errors_against

CHANNEL_CALLBACK = "setup_channel"
SETUP_CALLBACK = "setup_partnership"
YEAR_CALLBACK = "year_open"
ALLOCATION_BLOCK = "allocation"
SPLIT_BLOCK = "allocation_split"
ROLE_BLOCKS = {"admin": "admins", "chair": "chairs", "finance": "finance"}
SETUP_BLOCKS = ("name", "year", "allocation", "priorities", *ROLE_BLOCKS.values())
YEAR_BLOCKS = ("year", "allocation", "priorities")
# Fields the services name that are not inputs of these forms, and where their refusal goes.
_ELSEWHERE = {"admin": "admins", "chair": "chairs", "channel": "name", "user": "admins"}


def _modal(callback: str, title: str, submit: str, blocks: list[dict], metadata: dict) -> dict:
    return {"type": "modal", "callback_id": callback,
            "title": {"type": "plain_text", "text": modal_title(title)},
            "submit": {"type": "plain_text", "text": submit},
            "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": json.dumps(metadata), "blocks": blocks}


def _text(block_id: str, label: str, *, initial: str = "", multiline: bool = False,
          hint: str = "", placeholder: str = "", max_length: int | None = None) -> dict:
    element = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder}
    if max_length:
        element["max_length"] = max_length
    block = {"type": "input", "block_id": block_id, "element": element,
             "label": {"type": "plain_text", "text": label}}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _allocation(label: str) -> list[dict]:
    """The amount input that reports each keystroke, and the split line under it."""
    amount = _text(ALLOCATION_BLOCK, label, placeholder="e.g. 39,661 or 39,661.50")
    amount["dispatch_action"] = True
    amount["element"]["dispatch_action_config"] = {"trigger_actions_on": ["on_character_entered"]}
    split = context(context_text(years.split_line("")))
    split["block_id"] = SPLIT_BLOCK
    return [amount, split]


def _priorities(names) -> dict:
    return _text("priorities", "Community Safety Agreement priorities", multiline=True,
                 initial="\n".join(names), max_length=3000,
                 hint="One per line. Proposals name one or more of them; change them each year.")


def _people(block_id: str, label: str, hint: str, initial: tuple[str, ...] = ()) -> dict:
    element = {"type": "multi_users_select", "action_id": "value",
               "placeholder": {"type": "plain_text", "text": "Choose people"}}
    if initial:
        element["initial_users"] = list(initial)
    return {"type": "input", "block_id": block_id, "optional": True, "element": element,
            "label": {"type": "plain_text", "text": label},
            "hint": {"type": "plain_text", "text": hint}}


def channel_picker() -> dict:
    """From the App Home: which channel will be the working group's (then the set-up form)."""
    picker = {"type": "conversations_select", "action_id": "value",
              "placeholder": {"type": "plain_text", "text": "Choose the channel"},
              "filter": {"include": ["public", "private"], "exclude_bot_users": True,
                         "exclude_external_shared_channels": True}}
    return _modal(CHANNEL_CALLBACK, "Set up a partnership", "Next", [
        section("The partnership's working group will see each new proposal in one Slack "
                "channel. Choose it; I must be in it already (`/invite @CRG Tracker` there)."),
        {"type": "input", "block_id": "channel", "element": picker,
         "label": {"type": "plain_text", "text": "Working group's channel"}},
    ], {})


def setup_form(channel_id: str, admin_id: str, year_label: str) -> dict:
    return _modal(SETUP_CALLBACK, "Set up a partnership", "Set up", [
        section(f"The working group's channel will be <#{channel_id}>: new proposals are posted "
                "there."),
        _text("name", "Partnership's name", placeholder="e.g. Northshire Community Safety "
              "Partnership", max_length=100),
        _text("year", "Financial year", initial=year_label, max_length=9,
              hint="The year this allocation is for, like 2025/26."),
        *_allocation("This year's allocation from the PCC (£)"),
        _priorities(years.DEFAULT_PRIORITIES),
        _people("admins", "Admins", "The community safety team: they set up years, meetings and "
                "roles, and record the OPCC's decisions.", (admin_id,)),
        _people("chairs", "Chairs", "Working-group and CSP chairs: they shortlist, support or "
                "decline proposals."),
        _people("finance", "Finance staff", "They record spend and take the spend sheets."),
    ], {"c": channel_id})


def year_form(partnership_id: int, partnership: str, year_label: str, priorities) -> dict:
    return _modal(YEAR_CALLBACK, "Open a financial year", "Open the year", [
        section(f"A new year for *{context_text(partnership)}*: its pots are funded from the "
                "allocation and its usual deadlines are made."),
        _text("year", "Financial year", initial=year_label, max_length=9,
              hint="Like 2025/26."),
        *_allocation("The year's allocation from the PCC (£)"),
        _priorities(priorities),
    ], {"p": partnership_id})


def with_split(view: dict, line: str) -> dict:
    """The open view as it is, with the split line rewritten (for views.update)."""
    keep = ("type", "callback_id", "title", "submit", "close", "private_metadata",
            "clear_on_close", "notify_on_close")
    fresh = {key: view[key] for key in keep if key in view}
    blocks = []
    for block in view.get("blocks", []):
        if block.get("block_id") == SPLIT_BLOCK:
            block = context(context_text(line)) | {"block_id": SPLIT_BLOCK}
        blocks.append(block)
    fresh["blocks"] = blocks
    return fresh


def metadata(view: dict) -> dict:
    return json_object(view.get("private_metadata"))


def _state(values: dict, block: str) -> dict:
    return (values.get(block) or {}).get("value") or {}


def text(values: dict, block: str) -> str:
    return _state(values, block).get("value") or ""


def users(values: dict, block: str) -> tuple[str, ...]:
    return tuple(_state(values, block).get("selected_users") or ())


def chosen_channel(values: dict) -> str:
    return _state(values, "channel").get("selected_conversation") or ""


def roles(values: dict) -> dict[str, tuple[str, ...]]:
    return {role: users(values, block) for role, block in ROLE_BLOCKS.items()}


def errors_for(refusal: DomainError, blocks: tuple[str, ...]) -> dict[str, str]:
    """A refusal as `response_action: errors`, each sentence against its input; one about no
    input of the form (who may do it) goes against the first."""
    return errors_against(refusal, blocks,
                          lambda field: ROLE_BLOCKS.get(field) or _ELSEWHERE.get(field, field))
