"""The clock: a process of its own (`crg clock`) that sends deadline reminders and digests.

`jobs.clock` runs the scheduler, `jobs.sweep` claims, sends and records each message exactly
once (through `jobs.due`, `jobs.claims`, `jobs.delivery`, `jobs.recovery`, `jobs.message_keys`,
`jobs.owners` and `jobs.alerts`), `jobs.messages` words them, `jobs.rounds` and
`jobs.housekeeping` do the clock's other work, and `jobs.commands` adds `crg clock` and
`crg deadline`.
"""
