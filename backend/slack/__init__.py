"""What the app says in Slack, for every front that speaks there (the bot and the clock).

The Web API client and its retry policy (`client`), safe text and Block Kit (`text`, `blocks`),
the messages themselves (`announce`, `decision_blocks`, `reminder_messages`, `alert_messages`),
and sending the outbox's messages exactly once (`delivery`, `recovery`, `history`, `alerts`).
The rules behind every message are the domain's; this package only words and sends them.
"""
