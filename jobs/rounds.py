"""Closing upfront rounds whose cut-off has passed, on the clock's sweep.

The rollover itself is the domain's (`rounds.close_rounds_past_cutoff`), under the year lock,
so two clocks cannot both roll a year over; this only tells the working group.
"""
import logging

from backend.domain import rounds, years
from backend.domain.actors import CLOCK
from backend.logs import log_event
from backend.slack.announce import announce_round_closed

log = logging.getLogger("crg.clock.rounds")


def close_decided_rounds(client, now) -> int:
    closed = rounds.close_rounds_past_cutoff(CLOCK, now)
    for year_id, amount in closed:
        year = years.get(year_id)
        log_event(log, "upfront_round_closed", partnership=year.partnership, year=year.label,
                  rolled_pence=amount)
        announce_round_closed(client, year.partnership_id, year.label, amount)
    return len(closed)
