"""Tidying the database on the clock's sweep: forgetting sign-in links that no longer work.

It runs on the clock, not when someone signs in, so the finance page's requests stay one short
write each; the rule of what may be forgotten, and when, is the domain's
(`backend.domain.login_links.prune`).
"""
import logging
from datetime import datetime

from backend.domain import login_links
from backend.domain.actors import CLOCK
from backend.logs import log_event

log = logging.getLogger("crg.clock.housekeeping")


def prune_login_links(now: datetime) -> int:
    removed = login_links.prune(CLOCK, now)
    if removed:
        log_event(log, "login_links_pruned", removed=removed,
                  older_than_days=login_links.FORGET_AFTER.days)
    return removed
