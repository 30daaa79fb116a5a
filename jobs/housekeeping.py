"""Tidying the database on the clock's sweep: forgetting sign-in links that no longer work.

It runs on the clock, not when someone signs in, so the finance page's requests stay one short
write each; the rule of what may be forgotten, and when, is the domain's
(`backend.login_links.prune`).
"""
import logging
from datetime import datetime

from backend import login_links
from jobs.rounds import CLOCK

log = logging.getLogger("crg.clock.housekeeping")


def prune_login_links(now: datetime) -> int:
    removed = login_links.prune(CLOCK, now)
    if removed:
        log.info("login links pruned removed=%s older_than_days=%s", removed,
                 login_links.FORGET_AFTER.days)
    return removed
