"""The key every clock message carries in Slack, and finding a message back by it.

A clock can die, or its request time out, after Slack took a message and before the clock heard
so. Guessing then either loses a reminder or sends it twice. Instead every message carries Slack
message metadata naming its outbox row (`metadata_for`), so that a later sweep can look for it in
the conversation's history (`find_posted`) and know (`backend.slack.recovery` acts on the answer).
"""
from datetime import datetime, timedelta, timezone

from backend.slack.client import SLACK_FAILURES, failure_reason, is_transient

METADATA_EVENT = "crg_reminder"  # the event_type of the metadata on every clock message
HISTORY_PAGE = 200  # messages per conversations.history call (Slack allows up to 1000)
HISTORY_PAGES = 5  # then give up: too busy a conversation to be sure, the admins decide
# How long before the claim to start looking: covers skew between this host's clock and Slack's.
HISTORY_MARGIN = timedelta(minutes=10)


class HistoryUnavailable(Exception):
    """The conversation could not be read back, so nobody can tell whether Slack has it.

    `transient`: Slack is failing or asking to wait (a 5xx, a broken connection, still rate
    limited): worth asking again later, not yet a question for the admins.
    """

    def __init__(self, reason: str, transient: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def metadata_for(key: str) -> dict:
    return {"event_type": METADATA_EVENT, "event_payload": {"message_key": key}}


def find_posted(client, recipient: str, key: str, since: datetime) -> str | None:
    """The ts of the bot's message carrying `key` in `recipient`'s conversation, posted after
    `since` (naive UTC, less HISTORY_MARGIN); None if Slack certainly does not have it.

    Raises HistoryUnavailable when that cannot be known: a history scope is missing, the bot is
    not in the channel, Slack is failing or kept rate limiting (after backend.slack.client's
    retries: `transient`), or the conversation holds more than HISTORY_PAGES pages since then.
    """
    def carries_key(message: dict) -> bool:
        metadata = message.get("metadata") or {}
        return (metadata.get("event_type") == METADATA_EVENT
                and (metadata.get("event_payload") or {}).get("message_key") == key)

    return _find(client, recipient, since, carries_key)


def find_uploaded(client, recipient: str, title: str, since: datetime) -> str | None:
    """The ts of the bot's message sharing a file titled `title` in the DM of `recipient` since
    `since`: an upload cannot carry metadata, so its title (which names what and when) is how
    it is known again."""
    return _find(client, recipient, since,
                 lambda message: any(f.get("title") == title for f in message.get("files") or []))


def _find(client, recipient: str, since: datetime, wanted) -> str | None:
    oldest = (since - HISTORY_MARGIN).replace(tzinfo=timezone.utc).timestamp()
    try:
        channel = recipient
        if recipient[:1] in ("U", "W"):  # a DM: the bot's IM channel with that person
            channel = client.conversations_open(users=recipient)["channel"]["id"]
        cursor = None
        for _ in range(HISTORY_PAGES):
            page = client.conversations_history(channel=channel, oldest=f"{oldest:.6f}",
                                                limit=HISTORY_PAGE, include_all_metadata=True,
                                                cursor=cursor)
            for message in page.get("messages") or []:
                if message.get("bot_id") and wanted(message):
                    return message["ts"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return None
    except SLACK_FAILURES as error:
        raise HistoryUnavailable(failure_reason(error), is_transient(error)) from error
    raise HistoryUnavailable(f"more than {HISTORY_PAGE * HISTORY_PAGES} messages since it was sent")
