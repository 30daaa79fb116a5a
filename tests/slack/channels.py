"""Which channels the bot is in, as Slack's conversations.info reports it (`is_member`).

The fake Web API describes any channel it is asked about but keeps no memberships, so this wraps
its conversations.info answer for the length of a test: `is_member` is true only for the channels
the bot was invited to. (A private channel it was never invited to is one Slack will not show it
at all: play that with `fake.fail("conversations.info", "channel_not_found")`.) Nothing of the
fake itself changes.
"""
from __future__ import annotations

from contextlib import contextmanager

from tests.slack import fake_api

METHOD = "conversations.info"


class BotChannels:
    def __init__(self):
        self.joined: set[str] = set()

    def invite(self, channel_id: str) -> None:
        """As `/invite @CRG Tracker` in that channel does."""
        self.joined.add(channel_id)


@contextmanager
def bot_channels():
    original = fake_api._RESPONDERS[METHOD]
    channels = BotChannels()

    def answer(fake, args):
        reply = original(fake, args)
        reply["channel"]["is_member"] = args.get("channel", "") in channels.joined
        return reply

    fake_api._RESPONDERS[METHOD] = answer
    try:
        yield channels
    finally:
        fake_api._RESPONDERS[METHOD] = original
