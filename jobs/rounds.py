"""Closing upfront rounds whose cut-off has passed, on the clock's sweep.

The rollover itself is the domain's (`decisions.close_rounds_past_cutoff`), under the year lock,
so two clocks cannot both roll a year over; this only tells the working group.
"""
import logging

from backend import decisions
from backend.actors import Actor
from bot.announce import announce_round_closed
from models import FinancialYear

log = logging.getLogger("crg.clock.rounds")
CLOCK = Actor(id="system:clock", name="the clock", superadmin=True)


def close_decided_rounds(client, now) -> int:
    closed = decisions.close_rounds_past_cutoff(CLOCK, now)
    for year_id, amount in closed:
        year = FinancialYear.get_by_id(year_id)
        log.info("upfront round closed year=%s rolled_pence=%s", year.label, amount)
        announce_round_closed(client, year.partnership_id, year.label, amount)
    return len(closed)
