"""The outbox: every Slack message the app owes, recorded before it is sent, sent exactly once.

`claims` records messages and their reminder keys, `owners` tells a live sender from a dead one,
`states` moves a message through its states and holds the admins' rule for sending one again.
Talking to Slack is `backend.slack`'s part (`delivery`, `recovery`, `history`).
"""
