"""The domain core: every money, workflow and permission rule of the grant, as plain Python.

Services here take and return plain values, raise `errors.DomainError` with a sentence a person
can read, and own their transactions. They import the tables (`models`) and the plumbing
(`backend.settings`, `backend.logs`), never a front: no Flask, no Slack, no argparse, no
scheduler. `tests/test_layers.py` keeps it so.
"""
