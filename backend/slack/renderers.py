"""The words of every outbox message that is worded when it is sent, by name.

The domain writes what is owed (`Note`: to whom, about what, the `render` name and plain
values); here each name maps to the function that words it for Slack, reading the state of
things at that moment, so a post that waited through an outage still shows the proposal as it
is now. The names are the contract between the two sides: a name the domain writes must be here
(`tests/test_outbox.py` checks it).
"""
import json

from backend.settings import Settings
from backend.slack import (
    alert_messages,
    claim_messages,
    file_messages,
    paper_messages,
    proposal_messages,
    scoring_messages,
    setup_messages,
)
from backend.slack.rendered import NothingToSend, Post, Updates

RENDERERS = {
    **proposal_messages.RENDERERS,
    **file_messages.RENDERERS,
    **paper_messages.RENDERERS,
    **alert_messages.RENDERERS,
    **setup_messages.RENDERERS,
    **claim_messages.RENDERERS,
    **scoring_messages.RENDERERS,
}


def render(message, settings: Settings | None):
    """What `message` says now: its stored words, or those its `render` builds."""
    if not message.render:
        return Post(message.text, json.loads(message.blocks or "[]"))
    build = RENDERERS.get(message.render)
    if build is None:
        raise ValueError(f"no wording called {message.render!r}")
    made = build(json.loads(message.payload or "{}"), settings)
    if made is None:
        raise NothingToSend()
    if isinstance(made, tuple):  # (text, blocks)
        return Post(*made)
    if isinstance(made, list):  # the posts to update in place
        if not made:
            raise NothingToSend()
        return Updates(made)
    return made
