"""Fetching a claim's (or a condition's) files from Slack, to be kept by the tracker.

`files.info` with the bot token says where the file is (`url_private_download`) and how big it
is; the bytes come from that address with the same token as a bearer. A file over the limit is
not downloaded at all. Whatever Slack cannot serve is marked missing with the reason, and the
person who sent it is told (`backend.domain.evidence.missing`).
"""
import logging
import urllib.request
from urllib.error import URLError
from urllib.parse import urlsplit

from backend.domain import evidence
from backend.logs import log_event
from backend.settings import Settings
from backend.slack.client import SLACK_FAILURES, failure_reason, make_client

log = logging.getLogger("crg.slack.evidence")
DOWNLOAD_TIMEOUT = 30


def fetch_all(settings: Settings, evidence_ids: list[int] | None = None, *,
              noted_before=None) -> int:
    """Fetch these pending files (or every pending one noted before a moment); how many were
    kept."""
    client = make_client(settings, max_retries=2)
    kept = 0
    for evidence_id, file_id in evidence.pending(evidence_ids, noted_before=noted_before):
        kept += _fetch(client, settings, evidence_id, file_id)
    return kept


def _slacks_own(url: str, settings: Settings) -> bool:
    """An address on Slack (files.slack.com), or on the Web API's own host when SLACK_API_URL
    points elsewhere (a local fake): the only places the bot token may be sent."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com")):
        return True
    api = urlsplit(settings.slack_api_url)
    return bool(host) and (parts.scheme, host, parts.port) == (api.scheme, api.hostname,
                                                               api.port)


def _fetch(client, settings: Settings, evidence_id: int, file_id: str) -> int:
    try:
        info = client.files_info(file=file_id)["file"]
    except SLACK_FAILURES as error:
        evidence.missing(evidence_id, f"Slack would not give it to me ({failure_reason(error)})")
        return 0
    size = int(info.get("size") or 0)
    if size > evidence.MAX_FILE_BYTES:
        evidence.missing(evidence_id, f"it is {size:,} bytes, over the {evidence.limit_label()} "
                                      "limit for a file")
        return 0
    url = info.get("url_private_download") or info.get("url_private") or ""
    if not _slacks_own(url, settings):  # the bot token is never sent anywhere else
        evidence.missing(evidence_id, "Slack gave no address of its own to download it from")
        return 0
    request = urllib.request.Request(url, headers={
        "Authorization": f"Bearer {settings.slack_bot_token}"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as answer:
            content = answer.read(evidence.MAX_FILE_BYTES + 1)
            kind = answer.headers.get_content_type()
    except (URLError, OSError) as error:
        log_event(log, "evidence_not_downloaded", logging.WARNING, evidence=evidence_id,
                  error=type(error).__name__)
        evidence.missing(evidence_id, "Slack could not serve it for download")
        return 0
    if kind == "text/html" and info.get("mimetype") != "text/html":
        # Slack answers a download without the right token with its sign-in page
        evidence.missing(evidence_id, "Slack answered with a web page instead of the file")
        return 0
    return int(evidence.keep(evidence_id, content, info.get("mimetype") or kind).state == "kept")
