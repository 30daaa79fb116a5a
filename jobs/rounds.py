"""Closing upfront rounds whose cut-off has passed, on the clock's sweep.

The rollover is the domain's (`rounds.close_rounds_past_cutoff`), under the year lock, so two
clocks cannot both roll a year over; the domain also writes the working group's message to the
outbox, which the sweep that follows sends.
"""
import logging

from backend.domain import rounds, years
from backend.domain.actors import CLOCK
from backend.logs import log_event

log = logging.getLogger("crg.clock.rounds")


def close_decided_rounds(now) -> int:
    closed = rounds.close_rounds_past_cutoff(CLOCK, now)
    for year_id, amount in closed:
        year = years.get(year_id)
        log_event(log, "upfront_round_closed", partnership=year.partnership, year=year.label,
                  rolled_pence=amount)
    return len(closed)
