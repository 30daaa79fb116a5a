"""Reminding working-group members to score, on the clock's sweep, before the meeting.

Which rounds are due, and marking each reminded once, is the domain's
(`scoring.rounds.remind_before_meetings`, under the year lock), so two clocks remind once; the
DMs go through the outbox, which the sweep that follows sends.
"""
import logging

from backend.domain.actors import CLOCK
from backend.domain.scoring import rounds
from backend.logs import log_event

log = logging.getLogger("crg.clock.scoring")


def remind_scorers(now) -> int:
    reminded = rounds.remind_before_meetings(CLOCK, now)
    for done in reminded:
        log_event(log, "scoring_reminded", members=len(done.members))
    return len(reminded)
