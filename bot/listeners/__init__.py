"""Bolt listeners, one module per kind of Slack request; each has `register(app, settings)`."""
