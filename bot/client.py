"""The Slack Web API client every part of the app (web, clock, CLI) sends through.

One place decides the base URL (SLACK_API_URL, so a whole process can be pointed at a local
fake) and the retry policy: Slack's 429 with Retry-After, and 5xx / connection failures with
backoff, are retried by slack_sdk before an error reaches our code.
"""
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


def failure_reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    return f"unreachable ({type(error).__name__})"


class AnyServerErrorRetryHandler(RetryHandler):
    """Retry every 5xx with backoff: slack_sdk's own handler retries only 500 and 503, but a
    502 or 504 from Slack's edge is just as passing."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return response is not None and 500 <= response.status_code < 600


def make_client(settings: Settings, *, max_retries: int = 3) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            AnyServerErrorRetryHandler(max_retry_count=max_retries),
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
        ],
    )
