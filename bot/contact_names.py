"""Superseded by `bot.directory` (names come from the directory of people, never a Slack id).

Kept only as the name `bot/listeners/views.py` still imports while that module is being reworked
for the outbox; at the merge it should import `bot.directory.name_for_form` directly and this file
can go.
"""
from bot.directory import name_for_form as name_of  # noqa: F401
