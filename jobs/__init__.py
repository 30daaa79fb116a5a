"""The clock: a process of its own (`crg clock`) that sends deadline reminders and digests.

`jobs.clock` runs the scheduler; `jobs.sweep` is the order of one sweep (recover what earlier
sweeps left, claim what is due, send it, tell the admins of problems), `jobs.due` turns what the
domain says is due into one message per recipient, and `jobs.rounds` and `jobs.housekeeping` do
the clock's other work. The rules are the domain's; claiming and sending the messages exactly
once is `backend.domain.outbox` and `backend.slack`'s.
"""
