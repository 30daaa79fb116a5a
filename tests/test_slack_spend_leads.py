"""`/crg spend leads [on|off]`: admins let project leads record their own spend, in Slack."""
from backend.domain import people, spend
from models import AuditRecord
from models.progress import PartnershipOption
from tests.builders import ADMIN, approved
from tests.slack_flows import partnership
from tests.test_slack_finance import FINANCE, LEAD, PARTNER, SUPERADMIN, answer, opened

BOARD = "U0BOARD"  # an admin of the partnership, not of the whole deployment


def said(harness, text, user, channel="C_WG"):
    response = harness.slack.command(text, user_id=user, channel_id=channel)
    assert response.get_json()["response_type"] == "ephemeral"
    return answer(response)


def switches():
    return [a.after for a in AuditRecord.select().where(
        AuditRecord.action == "partnership.leads_record_spend").order_by(AuditRecord.id)]


def test_a_partnership_admin_lets_leads_record_spend_and_stops_it(slack):
    year = partnership()
    people.grant(ADMIN, year.partnership_id, BOARD, "admin")
    assert said(slack, "spend leads", PARTNER) == (
        "In Northshire CSP, only finance staff and admins record spend (an admin can let each "
        "project's lead record their own project's spend with `/crg spend leads on`).")
    assert said(slack, "spend leads ON", BOARD) == (
        "Done. In Northshire CSP, each project's lead may record and correct their own project's "
        "spend, as well as finance staff and admins (an admin can stop it with "
        "`/crg spend leads off`).")
    assert spend.leads_may_record_spend(year.partnership_id)
    assert said(slack, "spend leads", LEAD).startswith("In Northshire CSP, each project's lead may")
    assert said(slack, "spend leads off", SUPERADMIN).startswith(
        "Done. In Northshire CSP, only finance staff and admins record spend")
    assert not spend.leads_may_record_spend(year.partnership_id)
    changes = AuditRecord.select().where(AuditRecord.action == "partnership.leads_record_spend")
    assert [(c.actor.split()[0], c.partnership_id) for c in changes.order_by(AuditRecord.id)] == [
        (BOARD, year.partnership_id), (SUPERADMIN, year.partnership_id)]
    assert switches() == ['{"leads_record_spend": true}', '{"leads_record_spend": false}']


def test_a_lead_gets_the_spend_form_only_while_it_is_on(slack):
    year = partnership()
    people.grant(ADMIN, year.partnership_id, BOARD, "admin")
    approved(year, "2,000")
    assert "Only finance staff" in answer(slack.slack.command("spend CRG-2024/25-001",
                                                              user_id=LEAD))
    said(slack, "spend leads on", BOARD)
    assert opened(slack, "spend CRG-2024/25-001", LEAD)["callback_id"] == "spend_record"


def test_only_admins_of_that_partnership_switch_it(slack):
    year = partnership()
    other = partnership(name="Southshire CSP", channel="C_SOUTH")
    people.grant(ADMIN, year.partnership_id, BOARD, "admin")
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    refusal = ("Only a community safety team admin can choose who records spend; you are {} in "
               "this partnership.")
    assert said(slack, "spend leads on", PARTNER) == refusal.format("a partner")
    assert said(slack, "spend leads on", FINANCE) == refusal.format("finance staff")
    # The partnership is the one the command is typed in: BOARD is no admin of Southshire.
    assert said(slack, "spend leads on", BOARD, channel="C_SOUTH") == refusal.format("a partner")
    assert said(slack, "spend leads on", SUPERADMIN, channel="C_SOUTH").startswith(
        "Done. In Southshire CSP, each project's lead may")
    assert spend.leads_may_record_spend(other.partnership_id)
    assert not spend.leads_may_record_spend(year.partnership_id)
    assert switches() == ['{"leads_record_spend": true}']


def test_bad_arguments_get_the_usage_with_an_example_and_change_nothing(slack):
    partnership()
    for text in ("spend leads maybe", "spend leads on off", "spend leads yes"):
        reply = said(slack, text, SUPERADMIN)
        assert reply.startswith("Write it as `/crg spend leads on` or `/crg spend leads off`")
        assert "e.g. `/crg spend leads on`" in reply
    assert not PartnershipOption.select().exists() and switches() == []


def test_help_lists_every_subcommand_and_spend_leads(slack):
    from bot.router import REGISTRY

    text = said(slack, "help", PARTNER)
    for name in REGISTRY:
        assert f"`/crg {name}" in text, name
    assert "`/crg spend REF | spend reverse LINE REASON | spend leads [on|off]`" in text
    assert "whether project leads may record their own project's spend" in text
