"""The clock: a process of its own (`crg clock`) that sends deadline reminders and digests.

`jobs.clock` runs the scheduler, `jobs.sweep` claims, sends and records each message exactly
once, `jobs.messages` words them, and `jobs.commands` adds `crg clock` and `crg deadline`.
"""
