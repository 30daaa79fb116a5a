"""The `action_id`s of buttons the clock's messages carry and the Slack front answers.

In a module of their own because several messages carry the same button (a reminder and a
behind-profile notice both offer Report progress), and the listener must match every one.
"""
PROGRESS_ACTION = "progress_open"  # opens the progress form for the project in `value`
SPEND_ACTION = "spend_open"  # opens the spend form for the project in `value`
# A claim's buttons: finance decides; the lead answers a query. `value` is the claim's id.
CLAIM_APPROVE = "claim_approve"
CLAIM_QUERY = "claim_query"
CLAIM_REJECT = "claim_reject"
CLAIM_ANSWER = "claim_answer"
# A project condition's buttons: the lead marks it met; an admin accepts, sends back or waives.
CONDITION_MET = "condition_met"
CONDITION_ACCEPT = "condition_accept"
CONDITION_SEND_BACK = "condition_send_back"
CONDITION_WAIVE = "condition_waive"
