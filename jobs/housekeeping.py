"""Tidying the database on the clock's sweep: forgetting sign-in links and finance page
sessions that no longer work, and fetching claims' files a process that died left unfetched.

It runs on the clock, not when someone signs in, so the finance page's requests stay one short
write each; the rule of what may be forgotten, and when, is the domain's
(`backend.domain.login_links.prune`, `backend.domain.finance_sessions.prune`).
"""
import logging
from datetime import datetime

from backend.domain import evidence, finance_sessions, login_links
from backend.domain.actors import CLOCK
from backend.logs import log_event
from backend.slack.evidence import fetch_all

log = logging.getLogger("crg.clock.housekeeping")


def prune_sign_ins(now: datetime) -> int:
    """Forget the links and sessions that stopped working more than a week ago; how many."""
    removed = 0
    for what, prune, after in (("login_links", login_links.prune, login_links.FORGET_AFTER),
                               ("finance_sessions", finance_sessions.prune,
                                finance_sessions.FORGET_AFTER)):
        gone = prune(CLOCK, now)
        if gone:
            log_event(log, f"{what}_pruned", removed=gone, older_than_days=after.days)
        removed += gone
    return removed


def fetch_left_behind(settings, now: datetime) -> int:
    """Claims' (and conditions') files still pending well after they were sent: the request
    that noted them ended before it fetched them. Fetched now, or marked missing and told."""
    kept = fetch_all(settings, noted_before=now - evidence.LEFT_BEHIND)
    if kept:
        log_event(log, "evidence_fetched_late", kept=kept)
    return kept
