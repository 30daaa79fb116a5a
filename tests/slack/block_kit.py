"""What Slack refuses in a message or a view: the limits of the Block Kit reference, checked.

Slack answers a message or view that breaks one of these with `invalid_blocks` (or
`msg_too_long` for a message's text) and shows nothing, so a reminder or a proposal post built
wrong would be lost in production. The fake Slack runs every message and view through
`problems`, refuses what Slack would, and records each refusal as a violation, so a test fails
on it. Limits are those documented on docs.slack.dev (Block Kit reference: blocks, block
elements, composition objects; the modal and App Home view references; chat.postMessage's
"truncating really long messages").
"""
from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
PRIVATE_METADATA = 3000

BLOCK_TYPES = {"section", "divider", "image", "actions", "context", "input", "header",
               "rich_text", "file", "video", "call"}
ELEMENT_TYPES = {
    "button", "checkboxes", "datepicker", "datetimepicker", "email_text_input", "image",
    "multi_static_select", "multi_external_select", "multi_users_select",
    "multi_conversations_select", "multi_channels_select", "number_input", "overflow",
    "plain_text_input", "radio_buttons", "rich_text_input", "static_select", "external_select",
    "users_select", "conversations_select", "channels_select", "timepicker", "url_text_input",
    "file_input",
}
OPTIONS_MAX = {"static_select": 100, "multi_static_select": 100, "radio_buttons": 10,
               "checkboxes": 10, "overflow": 5}
STYLES = (None, "primary", "danger")


class _Check:
    def __init__(self):
        self.found: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.found.append(f"{where}: {what}")

    def text(self, obj: Any, limit: int, where: str, kinds=("plain_text", "mrkdwn"),
             required: bool = True) -> None:
        if obj is None and not required:
            return
        if not isinstance(obj, dict) or obj.get("type") not in kinds:
            self.add(where, f"not a {'/'.join(kinds)} text object: {obj!r}"[:200])
            return
        length = len(obj.get("text") or "")
        if not 1 <= length <= limit:
            self.add(where, f"text of {length} characters (1 to {limit})")

    def length(self, value: Any, limit: int, where: str, minimum: int = 0) -> None:
        if value is not None and not minimum <= len(str(value)) <= limit:
            self.add(where, f"{len(str(value))} characters ({minimum} to {limit})")

    def option(self, option: dict, where: str) -> None:
        self.text(option.get("text"), 75, f"{where} option text")
        self.length(option.get("value"), 150, f"{where} option value", 1)
        self.text(option.get("description"), 75, f"{where} option description", required=False)

    def confirm(self, confirm: dict | None, where: str) -> None:
        if confirm is None:
            return
        self.text(confirm.get("title"), 100, f"{where} confirm title", ("plain_text",))
        self.text(confirm.get("text"), 300, f"{where} confirm text")
        self.text(confirm.get("confirm"), 30, f"{where} confirm button", ("plain_text",))
        self.text(confirm.get("deny"), 30, f"{where} deny button", ("plain_text",))
        if confirm.get("style") not in STYLES:
            self.add(where, f"confirm style {confirm.get('style')!r}")

    def element(self, element: dict, where: str) -> None:
        kind = element.get("type")
        if kind not in ELEMENT_TYPES:
            self.add(where, f"unknown element type {kind!r}")
            return
        where = f"{where} {kind}"
        self.length(element.get("action_id"), 255, f"{where} action_id")
        if kind == "button":
            self.text(element.get("text"), 75, f"{where} text", ("plain_text",))
            self.length(element.get("value"), 2000, f"{where} value")
            self.length(element.get("url"), 3000, f"{where} url")
            if element.get("style") not in STYLES:
                self.add(where, f"style {element.get('style')!r}")
        if kind in OPTIONS_MAX:
            options = element.get("options") or []
            if not 1 <= len(options) <= OPTIONS_MAX[kind]:
                self.add(where, f"{len(options)} options (1 to {OPTIONS_MAX[kind]})")
            for option in options:
                self.option(option, where)
        if kind == "plain_text_input":
            self.length(element.get("initial_value"), 3000, f"{where} initial_value")
            if element.get("max_length") is not None and not 1 <= element["max_length"] <= 3000:
                self.add(where, f"max_length {element['max_length']} (1 to 3000)")
        self.text(element.get("placeholder"), 150, f"{where} placeholder", ("plain_text",),
                  required=False)
        self.confirm(element.get("confirm"), where)

    def block(self, block: dict, where: str) -> None:
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.add(where, f"unknown block type {kind!r}")
            return
        where = f"{where} ({kind})"
        if kind == "section":
            if block.get("text") is None and not block.get("fields"):
                self.add(where, "neither text nor fields")
            self.text(block.get("text"), 3000, f"{where} text", required=False)
            fields = block.get("fields") or []
            if len(fields) > 10:
                self.add(where, f"{len(fields)} fields (at most 10)")
            for field in fields:
                self.text(field, 2000, f"{where} field")
            if block.get("accessory"):
                self.element(block["accessory"], f"{where} accessory")
        elif kind == "header":
            self.text(block.get("text"), 150, f"{where} text", ("plain_text",))
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                self.add(where, f"{len(elements)} elements (1 to 10)")
            for element in elements:
                if element.get("type") in ("plain_text", "mrkdwn"):
                    self.text(element, 3000, f"{where} element")
                elif element.get("type") != "image":
                    self.add(where, f"a context element of type {element.get('type')!r}")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                self.add(where, f"{len(elements)} elements (1 to 25)")
            for element in elements:
                self.element(element, where)
        elif kind == "input":
            self.text(block.get("label"), 2000, f"{where} label", ("plain_text",))
            self.text(block.get("hint"), 2000, f"{where} hint", ("plain_text",), required=False)
            if not isinstance(block.get("element"), dict):
                self.add(where, "no element")
            else:
                self.element(block["element"], where)


def problems(blocks: Any, surface: str = "message") -> list[str]:
    """Everything Slack would refuse in `blocks` shown on `surface` (message, modal or home)."""
    check = _Check()
    if blocks in (None, "", []):
        return []
    if not isinstance(blocks, list):
        return [f"blocks is not a list: {type(blocks).__name__}"]
    limit = MESSAGE_BLOCKS if surface == "message" else VIEW_BLOCKS
    if len(blocks) > limit:
        check.add(surface, f"{len(blocks)} blocks (at most {limit})")
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(ids) != len(set(ids)):
        check.add(surface, "a block_id is repeated")
    for block_id in ids:
        check.length(block_id, 255, f"{surface} block_id")
    for n, block in enumerate(blocks):
        if not isinstance(block, dict):
            check.add(f"block {n}", "not an object")
            continue
        check.block(block, f"block {n}")
        if surface == "message" and block.get("type") == "input":
            check.add(f"block {n}", "an input block in a message")
    return check.found


def view_problems(view: Any) -> list[str]:
    """What Slack would refuse in a modal or App Home view."""
    if not isinstance(view, dict):
        return ["the view is not an object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"view type {kind!r}"]
    check = _Check()
    if kind == "modal":
        check.text(view.get("title"), 24, "modal title", ("plain_text",))
        check.text(view.get("submit"), 24, "modal submit", ("plain_text",), required=False)
        check.text(view.get("close"), 24, "modal close", ("plain_text",), required=False)
        if any(b.get("type") == "input" for b in view.get("blocks") or []
               if isinstance(b, dict)) and view.get("submit") is None:
            check.add("modal", "inputs but no submit button")
    check.length(view.get("private_metadata"), PRIVATE_METADATA, "view private_metadata")
    check.length(view.get("callback_id"), 255, "view callback_id")
    return check.found + problems(view.get("blocks"), kind)


def message_problems(args: dict, blocks: Any) -> list[str]:
    """What Slack would refuse in a message: its blocks, and a text over its limit."""
    found = problems(blocks, "message")
    if len(str(args.get("text") or "")) > MESSAGE_TEXT:
        found.append(f"message text of {len(str(args['text']))} characters "
                     f"(at most {MESSAGE_TEXT})")
    return found
