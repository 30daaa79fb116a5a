"""Slack-facing code for the CRG funding tracker: commands, modals, views and safe text."""
