"""The `action_id`s of buttons the clock's messages carry and the Slack front answers.

In a module of their own because several messages carry the same button (a reminder and a
behind-profile notice both offer Report progress), and the listener must match every one.
"""
PROGRESS_ACTION = "progress_open"  # opens the progress form for the project in `value`
SPEND_ACTION = "spend_open"  # opens the spend form for the project in `value`
