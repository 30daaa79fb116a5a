"""What a person typed, made safe to keep: trimmed, within its field's length, no control bytes.

Every text a form sends is checked here by the service that keeps it, whatever the form said
(a forged submission can send anything): a title of two million characters, or a NUL byte,
which PostgreSQL cannot store, is refused against its field with a sentence, never a crash.
The limits match the forms' own `max_length`, so a person never meets one the form hid.
"""
import re

from backend.domain.errors import InvalidInput

# C0 control characters other than tab and new line, and DEL: nothing a person means to type.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

TITLE = 200  # a project's or deadline's title, an organisation, a meeting
NAME = 200  # a person's or partnership's name
LONG = 3000  # what a Slack multi-line input holds: a description, a narrative, a reason
REFERENCE = 100  # an invoice, claim or OPCC reference
NOTE = 500  # what spend was for, the OPCC's consent


def kept(text, field: str, limit: int, what: str, *, one_line: bool = True) -> str:
    """`text` as it will be kept (trimmed; runs of spaces folded when `one_line`), or a refusal
    against `field` naming `what` it is."""
    value = str(text or "")
    if _CONTROL.search(value.replace("\r\n", "\n").replace("\r", "\n")):
        raise InvalidInput(f"The {what} has a character that cannot be kept (a control "
                           "character); type it again without it.", field=field)
    value = " ".join(value.split()) if one_line else value.strip()
    if len(value) > limit:
        raise InvalidInput(f"Keep the {what} to {limit:,} characters (this one has "
                           f"{len(value):,}).", field=field)
    return value
