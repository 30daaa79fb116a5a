"""Tests for backend.slack.text: user-typed text must stay inert in Slack and fit Block Kit limits."""
from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backend.slack import text as t
from backend.slack.text import (
    ELLIPSIS,
    button_text,
    context_text,
    escape,
    field_text,
    header_text,
    is_user_id,
    mention,
    modal_title,
    nearest,
    option_text,
    section_text,
    shorten,
)

ZWJ = "\u200d"
ENTITY = re.compile(r"&(?:amp|lt|gt);")
BROADCAST = re.compile(r"@(?:channel|here|everyone)", re.IGNORECASE)

# Text that leans towards the dangerous pieces, mixed with arbitrary unicode.
TRICKY_PIECES = [
    "<!channel>", "<!here>", "<!everyone>", "<!subteam^S123>", "<@U123ABC>", "<@W1|bob>",
    "<#C123|general>", "<http://evil.example|click me>", "<mailto:a@b.c|x>",
    "@channel", "@Here", "@EVERYONE", "@channels", "x@here.com", "@", "&", "&amp;",
    "&lt;", "&gt;", "&#64;", "<", ">", "<<", ">>", "&&", " ", "\n", "\t", "a", "word",
    "é", "e\u0301", "👍🏽", "👩\u200d💻", ZWJ, "…", "*bold*", "_it_", "~s~", "`c`",
]
tricky_text = st.one_of(
    st.text(),
    st.lists(st.sampled_from(TRICKY_PIECES), max_size=30).map("".join),
    st.lists(st.one_of(st.sampled_from(TRICKY_PIECES), st.text(max_size=5)),
             max_size=20).map("".join),
)
# mrkdwn helpers escape; plain_text helpers (Slack shows plain_text literally, never parsing
# mentions or links) only shorten and neutralise broadcasts.
HELPERS = [
    (section_text, t.SECTION_TEXT_MAX), (field_text, t.SECTION_FIELD_MAX),
    (context_text, t.CONTEXT_TEXT_MAX),
]
PLAIN_HELPERS = [
    (header_text, t.HEADER_TEXT_MAX), (button_text, t.BUTTON_TEXT_MAX),
    (option_text, t.OPTION_TEXT_MAX), (modal_title, t.MODAL_TITLE_MAX),
]


@pytest.mark.parametrize(("helper", "limit"), PLAIN_HELPERS, ids=[h.__name__ for h, _ in PLAIN_HELPERS])
def test_plain_text_helpers_shorten_without_escaping(helper, limit):
    out = helper("Tom & Jerry <b> @channel " + "x" * 200)
    assert len(out) <= limit and out.startswith("Tom & Jerry <b> @\u200dchannel"[:limit - 1])
    assert "@channel" not in out
    assert helper("A & B") == "A & B" and helper(None) == ""


def assert_inert(out: str) -> None:
    """What Slack would parse specially must not survive in `out`."""
    for token in ("<!", "<@", "<#", "<http", "<mailto"):
        assert token not in out
    assert "<" not in out and ">" not in out, "bare angle bracket"
    assert "&" not in ENTITY.sub("", out), "an & that does not start an entity"
    assert not BROADCAST.search(out), "a broadcast mention Slack would parse"


def slack_display(out: str) -> str:
    """What a reader sees: entities decoded, zero-width joiners invisible."""
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace(ZWJ, "")


# --------------------------------------------------------------------------- escape


@given(tricky_text)
@example("<!channel> please fund <@U123>, see <http://x|y> & <#C1>")
@example("@here @channel @everyone @Channel")
def test_escape_output_is_inert(s):
    assert_inert(escape(s))


@given(tricky_text)
def test_escape_round_trips_apart_from_escapes(s):
    # Text already containing joiners cannot be told apart from ours on screen; skip it.
    if ZWJ in s:
        s = s.replace(ZWJ, "")
    assert slack_display(escape(s)) == s


@given(st.text(alphabet=st.characters(exclude_characters="&<>@")))
def test_ordinary_text_is_unchanged(s):
    assert escape(s) == s


def test_escape_examples():
    assert escape("Tom & Jerry <3 >_<") == "Tom &amp; Jerry &lt;3 &gt;_&lt;"
    assert escape("<!channel>") == "&lt;!channel&gt;"
    assert escape("<@U123>") == "&lt;@U123&gt;"
    assert escape("<http://evil|bank>") == "&lt;http://evil|bank&gt;"
    assert escape("hi @here") == f"hi @{ZWJ}here"
    assert escape("@EveryOne") == f"@{ZWJ}EveryOne"
    assert escape("bob@example.com") == "bob@example.com"
    assert escape("&amp;") == "&amp;amp;"  # shows exactly what was typed


def test_escape_none_and_non_strings():
    assert escape(None) == ""
    assert escape("") == ""
    assert escape(42) == "42"


# --------------------------------------------------------------------------- shorten


@given(tricky_text, st.integers(min_value=0, max_value=120))
def test_shorten_never_exceeds_limit_and_keeps_a_prefix(s, limit):
    out = shorten(s, limit)
    assert len(out) <= limit
    if len(s) <= limit:
        assert out == s
    elif limit >= 1:
        assert out.endswith(ELLIPSIS)
        assert s.startswith(out[: -len(ELLIPSIS)])


@given(tricky_text, st.integers(min_value=0, max_value=120))
@example("a" * 8 + "&amp;b", 10)
@example("&lt;&lt;&lt;&lt;", 7)
@example("<!channel>\ufe0e<!channel>", 17)  # selector after &gt; once pulled the cut inside
def test_shorten_never_splits_an_entity(s, limit):
    out = shorten(escape(s), limit)
    assert len(out) <= limit
    assert_inert(out)


words = st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=8), min_size=1)


@given(words.map(" ".join), st.integers(min_value=40, max_value=200))
def test_shorten_ends_on_a_word_boundary_when_one_is_near(s, limit):
    out = shorten(s, limit)
    if out == s:
        return
    body = out[: -len(ELLIPSIS)]
    assert s.startswith(body)
    assert s[len(body)] == " ", "cut mid-word although a space was near"


def test_shorten_examples():
    assert shorten("short", 10) == "short"
    assert shorten("exactly10!", 10) == "exactly10!"
    assert shorten("abcdefghijk", 5) == "abcd…"
    assert shorten("the quick brown fox jumps", 12) == "the quick…"
    assert shorten("a" * 8 + "&amp;b", 10) == "a" * 8 + "…"
    assert shorten("a" * 20, 1) == "…"
    assert shorten("a" * 20, 0) == ""
    assert shorten(None, 5) == ""


def test_shorten_keeps_inner_whitespace():
    assert shorten("a  b\n\nc", 20) == "a  b\n\nc"
    assert shorten("one  two   three four", 12) == "one  two…"


def test_shorten_prefers_word_boundary_only_when_near():
    long_word = "Supercalifragilisticexpialidocious"
    out = shorten("A " + long_word * 3, 60)
    assert len(out) == 60  # the only space is far back: cut mid-word instead
    assert out.startswith("A Super")


def test_shorten_keeps_emoji_and_accents_whole():
    assert shorten("ab👩\u200d💻cd", 5) == "ab…"
    assert shorten("cafe\u0301 time", 6) == "cafe\u0301…"
    assert shorten("xe\u0301" * 5, 3) == "x…"  # never "xe…": the accent stays on its e
    assert shorten("ok 👍🏽 fine", 5) == "ok…"


def test_shorten_rejects_negative_limit():
    with pytest.raises(ValueError):
        shorten("x", -1)


# --------------------------------------------------------------------------- helpers


@settings(max_examples=50)
@given(tricky_text, st.integers(min_value=1, max_value=400))
def test_helpers_escape_then_fit(s, times):
    long = ((s or "&") * times)[:5000]
    for helper, limit in HELPERS:
        out = helper(long)
        assert len(out) <= limit, helper.__name__
        assert_inert(out)
        if len(escape(long)) <= limit:
            assert out == escape(long)


@pytest.mark.parametrize(("helper", "limit"), HELPERS, ids=[h.__name__ for h, _ in HELPERS])
def test_limit_applies_to_escaped_text(helper, limit):
    # Each "&" grows to five characters: shortening raw text first would overflow.
    out = helper("&" * limit)
    assert len(out) <= limit
    assert out.endswith(ELLIPSIS)
    assert set(ENTITY.findall(out)) == {"&amp;"}
    assert helper(None) == ""


def test_documented_limits():
    assert (t.SECTION_TEXT_MAX, t.HEADER_TEXT_MAX, t.BUTTON_TEXT_MAX) == (3000, 150, 75)
    assert (t.OPTION_TEXT_MAX, t.OPTION_VALUE_MAX, t.MODAL_TITLE_MAX) == (75, 150, 24)
    assert (t.MESSAGE_TEXT_MAX, t.MESSAGE_BLOCKS_MAX) == (40000, 50)
    assert (t.MODAL_BLOCKS_MAX, t.HOME_BLOCKS_MAX) == (100, 100)
    assert t.SECTION_FIELD_MAX == 2000 and t.CONTEXT_ELEMENTS_MAX == 10


# --------------------------------------------------------------------------- nearest


COMMANDS = ["help", "propose", "pots", "list", "show", "approve", "reject", "role"]


@pytest.mark.parametrize(("word", "expected"), [
    ("propse", "propose"), ("PROPOSE", "propose"), ("prop", "propose"),
    ("lst", "list"), ("shwo", "show"), ("aprove", "approve"), ("hlep", "help"),
    ("rol", "role"),
])
def test_nearest_finds_the_intended_command(word, expected):
    assert nearest(word, COMMANDS) == expected


@pytest.mark.parametrize("word", ["xyzzy", "banana", "", None, "   "])
def test_nearest_returns_none_when_nothing_is_close(word):
    assert nearest(word, COMMANDS) is None


def test_nearest_handles_empty_and_generator_choices():
    assert nearest("help", []) is None
    assert nearest("hepl", (c for c in COMMANDS)) == "help"


@given(st.text(max_size=12), st.lists(st.text(max_size=12), max_size=8))
def test_nearest_only_ever_returns_a_choice(word, choices):
    result = nearest(word, choices)
    assert result is None or result in choices


# --------------------------------------------------------------------------- mention


@pytest.mark.parametrize("uid", ["U123", "U012AB3CD", "W0123456789", " U123ABC "])
def test_mention_of_a_real_id(uid):
    assert mention(uid) == f"<@{uid.strip()}>"
    assert is_user_id(uid.strip())


@pytest.mark.parametrize(("value", "shown"), [
    ("!channel", "!channel"), ("U123>|<!channel", "U123&gt;|&lt;!channel"),
    ("u123", "u123"), ("C123", "C123"), ("U", "U"), ("@here", f"@{ZWJ}here"),
    ("<@U123>", "&lt;@U123&gt;"), (None, ""), ("U12 3", "U12 3"),
])
def test_mention_of_anything_else_is_escaped(value, shown):
    assert mention(value) == shown
    assert_inert(mention(value))


@given(st.text())
def test_mention_is_either_a_clean_mention_or_inert(value):
    out = mention(value)
    if out.startswith("<@"):
        assert re.fullmatch(r"<@[UW][A-Z0-9]+>", out)
    else:
        assert_inert(out)
