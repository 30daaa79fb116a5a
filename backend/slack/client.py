"""The Slack Web API client every part of the app (web, clock, CLI) sends through.

One place decides the base URL (SLACK_API_URL, so a whole process can be pointed at a local
fake) and the retry policy: Slack's 429 with Retry-After, and 5xx / connection failures with
backoff, are retried by slack_sdk before an error reaches our code.

A retry is harmless for a read, and for a 429 (Slack did nothing). It is not harmless for a
`chat.postMessage` that Slack may have carried out before it failed: a 5xx can come from Slack's
edge after the message was posted behind it, and a connection can break after the request went
out. Retrying those blind may post the message twice, so the outbox's senders never do
(`sender_client`). What the front calls while a person waits has no time to retry at all
(`interactive_client`).
"""
import socket
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from backend.settings import Settings

# What a Web API call raises once its retries are spent: Slack said no (SlackApiError), or it
# could not be reached at all (urllib's URLError and socket timeouts are OSErrors).
SLACK_FAILURES = (SlackApiError, OSError)
POST_METHOD = "chat.postMessage"


def failure_reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    return f"unreachable ({type(error).__name__})"


def is_transient(error: BaseException) -> bool:
    """Slack is failing or asks to wait (a 5xx, a 429 still after the retries, a broken or
    refused connection): asking again later may well work."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        code = str((error.response.data or {}).get("error") if isinstance(
            error.response.data, dict) else "")
        return status >= 500 or status == 429 or code in ("ratelimited", "internal_error",
                                                          "fatal_error", "service_unavailable",
                                                          "request_timeout")
    return isinstance(error, OSError)


def never_sent(error: BaseException | None) -> bool:
    """Connection refused or the name did not resolve: the request certainly never reached
    Slack, so sending it again cannot make a duplicate. Anything else (a reset, a timeout) may
    have come after Slack had the whole request."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror))


def _is_post(request) -> bool:
    return urlsplit(request.url).path.rstrip("/").rsplit("/", 1)[-1] == POST_METHOD


class _PostsOnlyIfNeverSent:
    """The switch both failure handlers share: with `retry_posts=False` a chat.postMessage is
    retried only when the request certainly never left (`never_sent`), since Slack may have
    posted it before a 5xx or a reset."""

    def __init__(self, max_retry_count: int, *, retry_posts: bool = True):
        super().__init__(max_retry_count)
        self.retry_posts = retry_posts

    def _may_retry(self, request, error) -> bool:
        return self.retry_posts or not _is_post(request) or never_sent(error)


class AnyServerErrorRetryHandler(_PostsOnlyIfNeverSent, RetryHandler):
    """Retry every 5xx with backoff: slack_sdk's own handler retries only 500 and 503, but a
    502 or 504 from Slack's edge is just as passing."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if response is None or not 500 <= response.status_code < 600:
            return False
        return self._may_retry(request, error)


class SendSafeConnectionErrorRetryHandler(_PostsOnlyIfNeverSent, ConnectionErrorRetryHandler):
    """slack_sdk's connection-error retries, under the same switch for posts."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return self._may_retry(request, error)


def make_client(settings: Settings, *, max_retries: int = 3,
                retry_unanswered_posts: bool = True, timeout: float = 10) -> WebClient:
    """The Web API client, retrying 429s, 5xx answers and connection failures.

    `retry_unanswered_posts=False` (every sender of the outbox: `sender_client`) does not
    retry a chat.postMessage that failed with a 5xx or a broken connection, since Slack may
    already have posted it: each outbox message carries a key Slack can be asked about, so the
    send is recorded as unconfirmed and the conversation read back before sending again.
    429s are retried either way: Slack did nothing with the request.
    """
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            AnyServerErrorRetryHandler(max_retries, retry_posts=retry_unanswered_posts),
            SendSafeConnectionErrorRetryHandler(max_retries, retry_posts=retry_unanswered_posts),
        ],
    )


def sender_client(settings: Settings) -> WebClient:
    """What sends the outbox's messages (the clock, and each web process's sender)."""
    return make_client(settings, retry_unanswered_posts=False)


# Slack waits three seconds for an answer, and a trigger_id is dead after three seconds
# anyway: a call made while Slack waits (views.open, views.publish, users.info) gets this long,
# and is never retried.
INTERACTIVE_TIMEOUT = 2.0


def interactive_client(settings: Settings) -> WebClient:
    """What the Slack front calls while a person waits for its answer: a short timeout and no
    retries, so a slow or failing Slack costs at most INTERACTIVE_TIMEOUT, and the person is
    told to try again."""
    return WebClient(token=settings.slack_bot_token or None, base_url=settings.slack_api_url,
                     timeout=INTERACTIVE_TIMEOUT, retry_handlers=[])
