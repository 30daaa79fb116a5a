"""Safe text for Slack messages: pure functions, no Slack calls.

Why this exists: proposal titles, descriptions and names are typed by partners and echoed
back by the bot into channels, DMs, modals and the Home tab. Nobody must be able to ping
@channel/@here/@everyone, forge a user/channel mention or smuggle a link through them.
And Block Kit rejects a whole message (``invalid_blocks``) when one text is over its
limit, so display text is shortened here (the database keeps it whole).

Order matters: escape first, then shorten, so the limit holds on what Slack receives and
the cut never lands inside an escape entity such as ``&amp;``.

Limits are in characters as documented on docs.slack.dev (Block Kit reference pages,
modal view reference, and the 2018 "truncating really long messages" changelog).
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Iterable

__all__ = [
    "BUTTON_TEXT_MAX", "CONTEXT_ELEMENTS_MAX", "CONTEXT_TEXT_MAX", "ELLIPSIS",
    "HEADER_TEXT_MAX", "HOME_BLOCKS_MAX", "MESSAGE_BLOCKS_MAX", "MESSAGE_TEXT_MAX",
    "MODAL_BLOCKS_MAX", "MODAL_BUTTON_MAX", "MODAL_TITLE_MAX", "OPTION_TEXT_MAX",
    "OPTION_VALUE_MAX", "PRIVATE_METADATA_MAX", "SECTION_FIELD_MAX", "SECTION_TEXT_MAX",
    "TEXT_OBJECT_MAX", "button_text", "context_text", "escape", "field_text",
    "header_text", "is_user_id", "mention", "modal_title", "nearest", "option_text",
    "section_text", "shorten",
]

# --------------------------------------------------------------------------- limits

TEXT_OBJECT_MAX = 3000        # any text object ("minimum 1, maximum 3000 characters")
SECTION_TEXT_MAX = 3000       # section block `text`
SECTION_FIELD_MAX = 2000      # each of a section block's `fields` (max 10 of them)
HEADER_TEXT_MAX = 150         # header block, plain_text only
BUTTON_TEXT_MAX = 75          # button element `text`, plain_text only
OPTION_TEXT_MAX = 75          # option object `text` (and its `description`)
OPTION_VALUE_MAX = 150        # option object `value`: an id, never display text
CONTEXT_TEXT_MAX = 3000       # context block sets no own limit: the text-object one applies
CONTEXT_ELEMENTS_MAX = 10     # elements per context block
MODAL_TITLE_MAX = 24          # modal `title`, plain_text
MODAL_BUTTON_MAX = 24         # modal `submit` / `close` labels
PRIVATE_METADATA_MAX = 3000   # view `private_metadata`
MESSAGE_TEXT_MAX = 40000      # message top-level `text`; Slack truncates beyond this
MESSAGE_BLOCKS_MAX = 50       # blocks per message
MODAL_BLOCKS_MAX = 100        # blocks per modal view
HOME_BLOCKS_MAX = 100         # blocks per Home tab view

ELLIPSIS = "\u2026"           # "…", one character
# Invisible, so "@\u200dhere" looks like "@here" but no longer matches Slack's parser.
_ZERO_WIDTH_JOINER = "\u200d"
# Cut back at most this far to end on a word boundary rather than mid-word.
_WORD_BOUNDARY_WINDOW = 20

_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone))", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")
_USER_ID = re.compile(r"[UW][A-Z0-9]+")
# Characters that belong to the character before them (keep a cut from orphaning them).
_JOINERS = {"\u200d", "\u200c", "\ufe0e", "\ufe0f"}


# --------------------------------------------------------------------------- escaping


def escape(text: str | None) -> str:
    """Make user-typed text inert in mrkdwn and plain_text, looking the same on screen.

    Slack's documented escaping (& -> &amp;, < -> &lt;, > -> &gt;) already disarms
    ``<!channel>``, ``<@U123>``, ``<#C123>`` and ``<http://x|y>``. Bare ``@channel``,
    ``@here`` and ``@everyone`` can still be auto-parsed in some contexts, so a
    zero-width joiner goes after the ``@``: it displays the same but notifies nobody.
    None becomes "" so optional fields can be passed straight in.
    """
    if text is None:
        return ""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + _ZERO_WIDTH_JOINER, escaped)


# --------------------------------------------------------------------------- shortening


def _outside_entity(text: str, cut: int) -> int:
    """Move `cut` back to the start of an escape entity it would split, e.g. ``&am|p;``."""
    amp = text.rfind("&", 0, cut)
    if amp == -1:
        return cut
    entity = _ENTITY.match(text, amp)
    return amp if entity and entity.end() > cut else cut


def _is_joined_to_previous(char: str) -> bool:
    return char in _JOINERS or unicodedata.combining(char) != 0 or (
        "\U0001f3fb" <= char <= "\U0001f3ff")  # emoji skin-tone modifiers


def _whole_characters(text: str, cut: int) -> int:
    """Move `cut` back so accents, emoji modifiers and ZWJ sequences stay whole."""
    while 0 < cut < len(text) and (
            _is_joined_to_previous(text[cut]) or text[cut - 1] in _JOINERS):
        cut -= 1
    return cut


def _safe_cut(text: str, cut: int) -> int:
    """Back off until the cut splits neither an entity nor a character sequence.

    Each rule can move the cut into territory the other forbids (an emoji variation
    selector right after ``&gt;``, say), so repeat until neither moves it.
    """
    while True:
        moved = _whole_characters(text, _outside_entity(text, cut))
        if moved == cut:
            return cut
        cut = moved


def _word_boundary(text: str, cut: int) -> int:
    """Prefer ending at the last whitespace before `cut`, if it is near enough."""
    window = min(_WORD_BOUNDARY_WINDOW, cut // 4)
    for i in range(cut, cut - window - 1, -1):
        if i < len(text) and text[i].isspace() and text[:i].strip():
            return i
    return cut


def shorten(text: str | None, limit: int) -> str:
    """Fit `text` into `limit` characters, ending with "…" when anything was cut.

    Never splits an escape entity (``&amp;``/``&lt;``/``&gt;``...) and keeps combining
    marks and emoji sequences whole; prefers a nearby word boundary. Whitespace inside
    the kept part is left alone. Text that already fits is returned unchanged. With
    ``limit`` 0 there is no room even for the ellipsis, so the result is "".
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    text = "" if text is None else str(text)
    if len(text) <= limit:
        return text
    if limit < len(ELLIPSIS):
        return ""
    cut = _safe_cut(text, limit - len(ELLIPSIS))
    cut = _word_boundary(text, cut)
    return text[:cut].rstrip() + ELLIPSIS


def _fit(text: str | None, limit: int) -> str:
    """Escape, then shorten, so the limit applies to exactly what Slack receives."""
    return shorten(escape(text), limit)


def _plain(text: str | None, limit: int) -> str:
    """Shorten text for a plain_text object, which Slack shows literally.

    plain_text is never parsed for mentions, links or broadcasts, so escaping it would only
    show "&amp;" to the reader; it is shortened, and the @channel family still neutralised.
    """
    return shorten(_BROADCAST.sub("@" + _ZERO_WIDTH_JOINER, text or ""), limit)


def section_text(text: str | None) -> str:
    """User text for a section block's `text` (mrkdwn or plain_text)."""
    return _fit(text, SECTION_TEXT_MAX)


def field_text(text: str | None) -> str:
    """User text for one of a section block's `fields`."""
    return _fit(text, SECTION_FIELD_MAX)


def context_text(text: str | None) -> str:
    """User text for a text element of a context block."""
    return _fit(text, CONTEXT_TEXT_MAX)


def header_text(text: str | None) -> str:
    """User text for a header block (plain_text)."""
    return _plain(text, HEADER_TEXT_MAX)


def button_text(text: str | None) -> str:
    """User text for a button label (plain_text)."""
    return _plain(text, BUTTON_TEXT_MAX)


def option_text(text: str | None) -> str:
    """User text for a select/radio/checkbox option label or description."""
    return _plain(text, OPTION_TEXT_MAX)


def modal_title(text: str | None) -> str:
    """Text for a modal's title (plain_text, very short)."""
    return _plain(text, MODAL_TITLE_MAX)


# --------------------------------------------------------------------------- help & mentions


def nearest(word: str | None, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice closest to `word`, for "did you mean …?" on an unknown subcommand.

    Case-insensitive. A unique prefix wins (``prop`` -> ``propose``); otherwise difflib's
    similarity must reach `cutoff`, so unrelated words get None rather than a wild guess.
    """
    key = (word or "").strip().lower()
    if not key:
        return None
    by_lower: dict[str, str] = {}
    for choice in choices:
        if choice:
            by_lower.setdefault(choice.lower(), choice)
    if key in by_lower:
        return by_lower[key]
    prefixed = [original for lower, original in by_lower.items() if lower.startswith(key)]
    if len(prefixed) == 1:
        return prefixed[0]
    close = difflib.get_close_matches(key, list(by_lower), n=1, cutoff=cutoff)
    return by_lower[close[0]] if close else None


def is_user_id(value: object) -> bool:
    """True for a well-formed Slack user id: U or W then uppercase letters/digits."""
    return isinstance(value, str) and _USER_ID.fullmatch(value) is not None


def mention(user_id: str | None) -> str:
    """``<@U123>`` for a real user id; anything else is shown escaped, never parsed.

    Ids come from payloads and the database, but a corrupted or user-supplied value must
    not become ``<!channel>`` or a forged link, hence the strict id check.
    """
    if user_id is None:
        return ""
    candidate = str(user_id).strip()
    return f"<@{candidate}>" if is_user_id(candidate) else escape(candidate)
