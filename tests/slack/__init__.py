"""Test harness for the Slack side of the bot.

- :mod:`tests.slack.fake_api` -- a fake Slack Web API served over real HTTP, so the
  code under test talks to it through an unmodified ``slack_sdk.WebClient``.
- :mod:`tests.slack.requests` -- signed Slack requests (commands, interactions,
  events) built the way Slack sends them, plus a :class:`SlackClient` that posts
  them through a Flask test client.
- :mod:`tests.slack.ids` -- the shared workspace constants and id generators, so
  that ids made by the fake and by the request builders agree.
"""
