"""Claims with their evidence, through signed Slack requests against the fake Slack (which serves
the files): made by a project's lead, queried, answered and approved by finance; and refused."""
import hashlib
import io
import json
import re

import openpyxl
import pytest

from backend.domain import claims, conditions, evidence, login_links, people, spend
from backend.domain.actors import Actor
from backend.domain.errors import Conflict
from backend.domain.evidence import SentFile
from backend.domain.exports import service
from bot.background import drain
from models import AuditRecord, Claim, Evidence, LedgerEntry
from tests.builders import ADMIN, approved
from tests.slack.ids import dm_channel_id
from tests.slack.requests import datepicker, plain_text
from tests.slack_flows import WG, partnership, texts_to
from tests.test_slack_finance import (
    FINANCE,
    LEAD,
    PARTNER,
    REF,
    denials_of,
    opened,
    refused_before_the_form,
    submit,
)

FINANCE_CHANNEL = "C_FINANCE"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF"
JPEG = b"\xff\xd8\xff\xe0" + bytes(reversed(range(256))) * 30


def file_input(*files):
    return {"type": "file_input", "files": [
        {"id": file_id, "name": name, "title": name} for file_id, name in files]}


def claiming(files, amount="1,250.50", day="2024-09-30", memo="Venue hire, two sessions",
             invoice="INV-1042"):
    return {"amount": {"value": plain_text(amount)}, "date": {"value": datepicker(day)},
            "memo": {"value": plain_text(memo)}, "invoice_ref": {"value": plain_text(invoice)},
            "files": {"value": file_input(*files)}}


def blocks_of(call) -> list:
    blocks = call.args.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def shown(call) -> str:
    return json.dumps(blocks_of(call))


def funded(amount="2,000", channel=True):
    year = partnership()
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    pid = approved(year, amount)
    if channel:
        claims.link_finance_channel(ADMIN, year.partnership_id, FINANCE_CHANNEL)
    return year, pid


def make_claim(slack, files, **values):
    """The lead's claim, through the form the bot opened; the claim as saved."""
    view = opened(slack, f"claim {REF}", LEAD)
    assert submit(slack, view, claiming(files, **values), LEAD) == {}
    assert drain(timeout=15)
    return Claim.select().order_by(Claim.id.desc()).first()


def pressed(slack, action, claim_id, user, channel=FINANCE_CHANNEL):
    """Press a claim's button; the form it opened."""
    before = len(slack.fake.calls_to("views.open"))
    assert slack.slack.action(action, str(claim_id), user_id=user,
                              channel_id=channel).status_code == 200
    view = slack.fake.wait_for("views.open", before + 1)[-1].arg("view")
    assert view["callback_id"] == action
    return view


def answered_form(slack, action, claim_id, user, field, text, channel=FINANCE_CHANNEL):
    """Press a claim's button, and answer the one-question form it opened."""
    view = pressed(slack, action, claim_id, user, channel)
    return submit(slack, view, {field: {"value": plain_text(text)}}, user)


def as_shown(view, **typed):
    """A submission of `view` as it was opened (its initial values), with `typed` changed:
    {block_id: value}, a file list for `files`."""
    values = {}
    for block in view["blocks"]:
        element, block_id = block.get("element") or {}, block.get("block_id")
        if block.get("type") != "input":
            continue
        if element["type"] == "datepicker":
            values[block_id] = {"value": datepicker(typed.get(block_id,
                                                              element.get("initial_date")))}
        elif element["type"] == "file_input":
            values[block_id] = {"value": file_input(*typed.get(block_id, ()))}
        else:
            values[block_id] = {"value": plain_text(typed.get(block_id,
                                                              element.get("initial_value", "")))}
    return values


def test_a_lead_claims_with_two_files_finance_queries_the_lead_answers_finance_approves(slack):
    year, pid = funded()
    pdf = slack.fake.add_file("invoice.pdf", PDF)
    jpeg = slack.fake.add_file("receipt.jpg", JPEG, "image/jpeg")
    view = opened(slack, f"claim {REF}", LEAD)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert view["callback_id"] == "claim_make"
    assert blocks["files"]["element"]["type"] == "file_input"
    assert "at most 10 MB each" in blocks["files"]["hint"]["text"]
    assert submit(slack, view, claiming([(pdf, "invoice.pdf"), (jpeg, "receipt.jpg")]),
                  LEAD) == {}
    assert drain(timeout=15)

    claim = Claim.get()
    assert (claim.state, claim.amount_pence, claim.invoice_ref) == ("pending", 125050, "INV-1042")
    kept = {e.name: e for e in Evidence.select().where(Evidence.claim == claim)}
    assert {n: (e.state, e.size, e.sha256) for n, e in kept.items()} == {
        "invoice.pdf": ("kept", len(PDF), hashlib.sha256(PDF).hexdigest()),
        "receipt.jpg": ("kept", len(JPEG), hashlib.sha256(JPEG).hexdigest())}
    assert [c.args["file"] for c in slack.fake.calls_to("files.info")] == [pdf, jpeg]
    post = [c for c in slack.fake.calls_to("chat.postMessage")
            if c.args["channel"] == FINANCE_CHANNEL][-1]
    buttons = [e["action_id"] for b in blocks_of(post) if b["type"] == "actions"
               for e in b["elements"]]
    assert buttons == ["claim_approve", "claim_query", "claim_reject"]
    assert "invoice.pdf" in shown(post) and "CRG-2024/25-001/C1" in post.args["text"]
    assert any("is saved and waiting for finance" in t
               for t in texts_to(slack.fake, LEAD, "chat.postEphemeral")
               + texts_to(slack.fake, LEAD))

    # Finance asks; the lead hears, with an Answer button, and answers.
    assert answered_form(slack, "claim_query", claim.id, FINANCE, "question",
                         "Is the venue hire for both sessions?") == {}
    assert drain(timeout=15)
    assert Claim.get_by_id(claim.id).state == "queried"
    asked = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == LEAD
             and "Finance has a question" in c.args["text"]]
    assert asked and "claim_answer" in shown(asked[-1])
    view = pressed(slack, "claim_answer", claim.id, LEAD, channel=None)
    assert "Is the venue hire for both sessions?" in json.dumps(view["blocks"])
    refused = submit(slack, view, as_shown(view, answer="Yes", amount="99,000"), LEAD)
    assert refused["amount"].startswith(  # the claim itself does not count against it
        "CRG-2024/25-001 has £2,000 left to claim")
    assert submit(slack, view, as_shown(view, answer="Yes: 3 and 10 September.",
                                        memo="Venue hire, sessions on 3 and 10 September"),
                  LEAD) == {}
    assert drain(timeout=15)
    assert Claim.get_by_id(claim.id).state == "pending"
    assert any("The lead answered" in t for t in texts_to(slack.fake, FINANCE))

    # Finance approves: the spend line, with the claim named, in the same transaction.
    assert slack.slack.action("claim_approve", str(claim.id), user_id=FINANCE,
                              channel_id=FINANCE_CHANNEL).status_code == 200
    assert drain(timeout=15)
    claim = Claim.get_by_id(claim.id)
    line = LedgerEntry.get_by_id(claim.spend_entry_id)
    assert (claim.state, line.kind, line.amount_pence, line.reference, str(line.occurred_on)) == (
        "approved", "spend", 125050, "CRG-2024/25-001/C1", "2024-09-30")
    assert spend.so_far(pid).spent == 125050
    assert claims.by_spend_line([line.id])[line.id].ref == "CRG-2024/25-001/C1"
    updated = slack.fake.last("chat.update")
    assert updated.args["channel"] == FINANCE_CHANNEL and "claim_approve" not in \
        shown(updated) and "Approved by" in shown(updated)
    assert any("is approved and recorded as spend line" in t for t in texts_to(slack.fake, LEAD))
    trail = [(a.action, a.actor.split(" ")[0]) for a in AuditRecord.select().where(
        AuditRecord.entity == "claim").order_by(AuditRecord.id)]
    assert trail == [("claim.make", LEAD), ("evidence.kept", "system:evidence"),
                     ("evidence.kept", "system:evidence"), ("claim.query", FINANCE),
                     ("claim.edit", LEAD), ("claim.answer", LEAD), ("claim.approve", FINANCE)]
    assert line.memo == "Venue hire, sessions on 3 and 10 September"  # as corrected
    kept_on_record = [json.loads(a.after) for a in AuditRecord.select().where(
        AuditRecord.action == "evidence.kept").order_by(AuditRecord.id)]
    assert [(k["file"], k["sha256"]) for k in kept_on_record] == [
        ("invoice.pdf", hashlib.sha256(PDF).hexdigest()),
        ("receipt.jpg", hashlib.sha256(JPEG).hexdigest())]
    [posted] = [a for a in AuditRecord.select().where(AuditRecord.action == "ledger.spend")
                if json.loads(a.after)["entry"] == line.id]
    assert posted.actor.startswith(FINANCE) and json.loads(posted.after)["reference"] == \
        "CRG-2024/25-001/C1"

    # The finance page lists the claim with its files, byte for byte what was uploaded; the
    # spend line names the claim.
    browser = slack.app.test_client()
    token = login_links.issue(Actor(FINANCE), year.partnership_id)
    assert browser.get(f"/finance/login/{token}").status_code == 303
    page = browser.get("/finance/%d/2024/projects/1" % year.partnership_id)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "CRG-2024/25-001/C1" in html and "on claim" in html
    hrefs = dict((name, href) for href, name in re.findall(
        r'<a href="(/finance/evidence/[^"]+)" download>([^<]+)</a>', html))
    assert set(hrefs) == {"invoice.pdf", "receipt.jpg"}
    for name, body in (("invoice.pdf", PDF), ("receipt.jpg", JPEG)):
        got = browser.get(hrefs[name])
        assert got.status_code == 200 and got.data == body
        assert f'filename="{name}"' in got.headers["Content-Disposition"]
    assert browser.get(hrefs["receipt.jpg"]).content_type == "image/jpeg"
    partner = slack.app.test_client()  # a partner has no finance page, nor its files
    assert partner.get(hrefs["invoice.pdf"]).status_code in (401, 403)

    # The spend sheet's Spend tab names the claim and its files; finance's own entry is central.
    central = spend.record(Actor(FINANCE), pid, 10_000, line.occurred_on, "Printing")
    out = io.BytesIO()
    service.write_spend_sheet(service.select(Actor(FINANCE), year.partnership_id, "2024/25"), out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Spend"]
    heads = [c.value for c in sheet[1]]
    rows = {r[heads.index("Line")]: r for r in sheet.iter_rows(min_row=2, values_only=True)
            if r[heads.index("Line")]}
    paid = rows[line.id][heads.index("Paid on")]
    assert paid.startswith("Claim CRG-2024/25-001/C1: invoice.pdf (SHA-256 "
                           + hashlib.sha256(PDF).hexdigest()[:12]) and "receipt.jpg" in paid
    assert rows[central.id][heads.index("Paid on")] == "Central"
    assert rows[line.id][heads.index("Amount")] == 1250.5

    # Approved twice: refused, and nothing more is spent.
    slack.slack.action("claim_approve", str(claim.id), user_id=FINANCE,
                       channel_id=FINANCE_CHANNEL)
    assert drain(timeout=15)
    assert any("is approved already" in t
               for t in texts_to(slack.fake, FINANCE, "chat.postEphemeral"))
    assert spend.so_far(pid).spent == 125050 + 10_000
    assert Claim.select().where(Claim.spend_entry.is_null(False)).count() == 1


def test_a_claim_over_what_is_left_is_refused_and_pending_claims_count(slack):
    year, pid = funded("2,000")
    first = make_claim(slack, [(slack.fake.add_file("a.pdf", PDF), "a.pdf")], amount="1,500")
    view = opened(slack, f"claim {REF}", LEAD)
    errors = submit(slack, view, claiming([(slack.fake.add_file("b.pdf", PDF), "b.pdf")],
                                          amount="600"), LEAD)
    assert "£500 left to claim" in errors["amount"]
    late = submit(slack, view, claiming([(slack.fake.add_file("c.pdf", PDF), "c.pdf")],
                                        amount="100", day="2025-04-01"), LEAD)
    assert "is outside 2024/25" in late["date"]
    none = submit(slack, view, claiming([], amount="100"), LEAD)
    assert "Attach the invoice or receipt" in none["files"]
    assert Claim.select().count() == 1 and first.state == "pending"
    # A direct spend cannot take what the pending claim waits for either.
    with pytest.raises(Exception, match="£500 of its approved"):
        spend.record(Actor(FINANCE), pid, 60_000, first.cost_on, "Printing")


def test_a_claim_cannot_be_approved_while_a_release_condition_is_outstanding(slack):
    year = partnership()
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    people.grant(ADMIN, year.partnership_id, "U0TEAM01", "admin")
    conditions.add_template(ADMIN, year.partnership_id, "Signed grant agreement",
                            "The agreement signed by the lead organisation.", "release", True)
    conditions.add_template(ADMIN, year.partnership_id, "Logo on publicity", "", "ongoing")
    pid = approved(year, "2,000")
    claims.link_finance_channel(ADMIN, year.partnership_id, FINANCE_CHANNEL)
    assert [(c.title, c.state) for c in conditions.for_project(pid)] == [
        ("Signed grant agreement", "outstanding"), ("Logo on publicity", "outstanding")]
    claim = make_claim(slack, [(slack.fake.add_file("a.pdf", PDF), "a.pdf")])
    post = [c for c in slack.fake.calls_to("chat.postMessage")
            if c.args["channel"] == FINANCE_CHANNEL][-1]
    assert "Not payable yet" in shown(post) and "Signed grant agreement" in shown(post)
    slack.slack.event({"type": "app_home_opened", "user": FINANCE, "tab": "home"})
    assert "Claim *CRG-2024/25-001/C1*" in json.dumps(slack.fake.last("views.publish").arg("view"))
    slack.slack.action("claim_approve", str(claim.id), user_id=FINANCE,
                       channel_id=FINANCE_CHANNEL)
    assert drain(timeout=15)
    [said] = [t for t in texts_to(slack.fake, FINANCE, "chat.postEphemeral")
              if "No money can be released" in t]
    assert "“Signed grant agreement”" in said and "Logo" not in said
    assert Claim.get_by_id(claim.id).state == "pending"
    assert LedgerEntry.select().where(LedgerEntry.kind == "spend").count() == 0
    # The finance dashboard shows what is outstanding.
    browser = slack.app.test_client()
    assert browser.get("/finance/login/" + login_links.issue(
        Actor(FINANCE), year.partnership_id)).status_code == 303
    html = browser.get(f"/finance/{year.partnership_id}/2024").get_data(as_text=True)
    outstanding = html.split('id="conditions"', 1)[1].split("<h2", 1)[0]
    assert "CRG-2024/25-001" in outstanding and "Signed grant agreement" in outstanding
    # Direct spend is refused the same way, before the form opens.
    assert "No money can be released" in refused_before_the_form(slack, f"spend {REF}", FINANCE)
    # The lead marks it met with the signed agreement; an admin accepts; the money can go.
    agreement = conditions.for_project(pid)[0]
    assert slack.slack.action("condition_met", str(agreement.id), user_id=LEAD,
                              channel_id=FINANCE_CHANNEL).status_code == 200
    view = slack.fake.wait_for("views.open", 2)[-1].arg("view")
    signed = slack.fake.add_file("agreement.pdf", PDF)
    # Marked met with a file not yet kept: it cannot be accepted until the file is there.
    conditions.mark_met(Actor(LEAD), agreement.id, "Signed", [SentFile("F0GONE01", "x.pdf")])
    with pytest.raises(Conflict, match="needs its file, and none is kept"):
        conditions.accept(ADMIN, agreement.id)
    conditions.send_back(ADMIN, agreement.id, "The file did not arrive")
    assert submit(slack, view, {"note": {"value": plain_text("Signed 2 May")},
                                "files": {"value": file_input((signed, "agreement.pdf"))}},
                  LEAD) == {}
    assert drain(timeout=15)
    assert conditions.get(agreement.id).state == "submitted"
    slack.slack.event({"type": "app_home_opened", "user": "U0TEAM01", "tab": "home"})
    assert "marked met, waiting for you" in json.dumps(
        slack.fake.last("views.publish").arg("view"))
    assert any("says “Signed grant agreement” is met" in t
               for t in texts_to(slack.fake, "U0TEAM01"))
    assert [e.state for e in evidence.of_condition(agreement.id)] == ["pending", "kept"]
    page = browser.get(f"/finance/{year.partnership_id}/2024/projects/1").get_data(as_text=True)
    [href] = re.findall(r'<a href="(/finance/evidence/[^"]+)" download>agreement.pdf</a>', page)
    assert browser.get(href).data == PDF
    conditions.accept(ADMIN, agreement.id)
    slack.slack.action("claim_approve", str(claim.id), user_id=FINANCE,
                       channel_id=FINANCE_CHANNEL)
    assert drain(timeout=15)
    assert Claim.get_by_id(claim.id).state == "approved"
    # The admins' DMs asking to accept it now say it is met, with nothing left to press.
    latest = {c.args["ts"]: c for c in slack.fake.calls_to("chat.update")
              if c.args["channel"] == dm_channel_id("U0TEAM01")}
    assert len(latest) == 2  # asked twice: marked met before the send-back, and again after
    for asked in latest.values():
        assert "“Signed grant agreement” on CRG-2024/25-001 is met." in asked.args["text"]
        assert '"actions"' not in shown(asked)


def test_a_partner_cannot_approve_query_or_reject_and_is_told_before_any_form(slack):
    year, pid = funded()
    claim = make_claim(slack, [(slack.fake.add_file("a.pdf", PDF), "a.pdf")])
    opened_before = len(slack.fake.calls_to("views.open"))
    for action in ("claim_approve", "claim_query", "claim_reject"):
        slack.slack.action(action, str(claim.id), user_id=PARTNER, channel_id=FINANCE_CHANNEL)
    assert drain(timeout=15)
    assert len(slack.fake.calls_to("views.open")) == opened_before
    said = texts_to(slack.fake, PARTNER, "chat.postEphemeral")
    assert len(said) == 3 and all(t.startswith("Only finance staff or a community safety team "
                                               "admin can approve, query or reject a claim")
                                  for t in said)
    assert [d["attempted"] for d in denials_of(PARTNER)] == [
        "tried to decide claim CRG-2024/25-001/C1"] * 3
    assert Claim.get_by_id(claim.id).state == "pending"
    # Nor may a partner claim on someone else's project.
    assert "Only the project's lead" in refused_before_the_form(slack, f"claim {REF}", PARTNER)


def test_a_file_over_the_limit_is_not_kept_and_the_lead_is_told(slack, monkeypatch):
    monkeypatch.setattr(evidence, "MAX_FILE_BYTES", 4096)
    year, pid = funded()
    small = slack.fake.add_file("receipt.jpg", JPEG[:1000], "image/jpeg")
    big = slack.fake.add_file("scan.pdf", PDF)  # over 4 KB
    claim = make_claim(slack, [(small, "receipt.jpg"), (big, "scan.pdf")])
    states = {e.name: (e.state, e.content is None) for e in claim.evidence}
    assert states == {"receipt.jpg": ("kept", False), "scan.pdf": ("missing", True)}
    assert not [c for c in slack.fake.calls_to("file_download") if c.args["file"] == big]
    [told] = {t for t in texts_to(slack.fake, LEAD) if "could not keep" in t}  # 429s retried
    assert "“scan.pdf”" in told and "over the 4 KB limit" in told and "CRG-2024/25-001/C1" in told


def test_a_file_slack_cannot_serve_leaves_the_claim_and_tells_the_lead_which(slack):
    year, pid = funded()
    good = slack.fake.add_file("invoice.pdf", PDF)
    lost = slack.fake.add_file("photo.png", b"\x89PNG", "image/png", servable=False)
    claim = make_claim(slack, [(good, "invoice.pdf"), (lost, "photo.png")])
    assert claim.state == "pending"
    states = {e.name: e.state for e in claim.evidence}
    assert states == {"invoice.pdf": "kept", "photo.png": "missing"}
    [told] = {t for t in texts_to(slack.fake, LEAD) if "could not keep" in t}
    assert "“photo.png”" in told and "CRG-2024/25-001/C1" in told and "invoice" not in told
    # Finance asks for it; the lead attaches it again with the answer, and it is kept.
    assert answered_form(slack, "claim_query", claim.id, FINANCE, "question",
                         "The photo did not come through: please attach it again.") == {}
    assert drain(timeout=15)
    view = pressed(slack, "claim_answer", claim.id, LEAD, channel=None)
    again = slack.fake.add_file("photo.png", b"\x89PNG again", "image/png")
    assert submit(slack, view, as_shown(view, answer="Here it is.",
                                        files=[(again, "photo.png")]), LEAD) == {}
    assert drain(timeout=15)
    assert [(e.name, e.state) for e in claims.get(claim.id).files] == [
        ("invoice.pdf", "kept"), ("photo.png", "missing"), ("photo.png", "kept")]
    assert claims.get(claim.id).state == "pending"


def test_files_a_dead_process_never_fetched_are_fetched_by_the_clock(slack):
    from datetime import date, timedelta

    from backend.domain import times
    from backend.domain.evidence import SentFile
    from jobs.housekeeping import fetch_left_behind

    year, pid = funded()
    receipt = slack.fake.add_file("receipt.pdf", PDF)
    made, fetch = claims.make(Actor(LEAD), pid, 5_000, date(2024, 9, 1), "Leaflets", "R-7",
                              [SentFile(receipt, "receipt.pdf")], submission_key="cli:1")
    assert [e.state for e in made.files] == ["pending"] and fetch
    assert fetch_left_behind(slack.settings, times.now()) == 0  # too soon: its request may yet
    assert fetch_left_behind(slack.settings, times.now() + timedelta(minutes=3)) == 1
    [kept] = claims.get(made.id).files
    assert (kept.state, kept.sha256) == ("kept", hashlib.sha256(PDF).hexdigest())
    assert evidence.content_of(kept.id)[1] == PDF


def test_without_a_finance_channel_finance_staff_get_the_claim_by_dm(slack):
    year, pid = funded(channel=False)
    people.grant(ADMIN, year.partnership_id, "U0FIN2", "finance")
    claim = make_claim(slack, [(slack.fake.add_file("a.pdf", PDF), "a.pdf")])
    for officer in (FINANCE, "U0FIN2"):
        [dm] = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == officer
                and "CRG-2024/25-001/C1" in c.args["text"]]
        assert "claim_approve" in shown(dm)
    # One approves from their DM: both DMs then say so, with no buttons left to press.
    assert slack.slack.action("claim_approve", str(claim.id), user_id=FINANCE,
                              channel_id=dm_channel_id(FINANCE)).status_code == 200
    assert drain(timeout=15)
    updated = {c.args["channel"]: c for c in slack.fake.calls_to("chat.update")}
    for officer in (FINANCE, "U0FIN2"):
        dm = updated[dm_channel_id(officer)]
        assert "Approved by" in shown(dm) and "claim_approve" not in shown(dm)


def test_approvals_of_one_claim_at_once_pay_it_once(db):
    import threading
    from datetime import date

    from backend.domain.errors import Conflict
    from backend.domain.evidence import SentFile
    from models import database

    year, pid = funded(channel=False)
    made, (file_id,) = claims.make(Actor(LEAD), pid, 5_000, date(2024, 9, 1), "Leaflets", "",
                                   [SentFile("F0ONE001", "leaflets.pdf")],
                                   submission_key="threads:1")
    evidence.keep(file_id, PDF)
    outcomes = []

    def approve():
        try:
            outcomes.append(claims.approve(Actor(FINANCE), made.id).state)
        except Conflict as refusal:
            outcomes.append(refusal.message)
        finally:
            database.close()

    threads = [threading.Thread(target=approve) for _ in range(4)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert sorted(outcomes)[-1] == "approved" and outcomes.count("approved") == 1
    assert all("is approved already" in o for o in outcomes if o != "approved")
    assert spend.so_far(pid).spent == 5_000


@pytest.mark.parametrize("url, ours", [
    ("https://files.slack.com/files-pri/T1-F1/download/invoice.pdf", True),
    ("https://slack.com/x", True),
    ("http://files.slack.com/files-pri/T1-F1/invoice.pdf", False),  # never in the clear
    ("https://files.slack.com.evil.example/invoice.pdf", False),
    ("https://evil.example/?https://files.slack.com/", False),
    ("", False),
])
def test_the_bot_token_goes_only_to_slacks_own_addresses(url, ours):
    from backend.settings import Settings
    from backend.slack.evidence import _slacks_own

    assert _slacks_own(url, Settings(slack_api_url="https://slack.com/api/")) is ours


def test_finance_rejects_a_claim_with_a_reason_and_its_money_is_free_again(slack):
    year, pid = funded("2,000")
    claim = make_claim(slack, [(slack.fake.add_file("a.pdf", PDF), "a.pdf")], amount="1,500")
    assert spend.left_to_spend_of(pid) == 50_000
    view = pressed(slack, "claim_reject", claim.id, FINANCE)
    assert "reason" in submit(slack, view, {"reason": {"value": plain_text("")}}, FINANCE)
    assert submit(slack, view, {"reason": {"value": plain_text("Invoice is for 2023/24")}},
                  FINANCE) == {}
    assert drain(timeout=15)
    assert Claim.get_by_id(claim.id).state == "rejected"
    assert spend.left_to_spend_of(pid) == 200_000  # a rejected claim holds nothing back
    assert any("was rejected: Invoice is for 2023/24" in t for t in texts_to(slack.fake, LEAD))
    assert "Rejected by" in shown(slack.fake.last("chat.update"))
    show = json.dumps(slack.slack.command(f"show {REF}", user_id=PARTNER).get_json()["blocks"])
    assert "*Claims*" in show and "CRG-2024/25-001/C1" in show
    listed = slack.slack.command(f"claims {REF}", user_id=PARTNER).get_json()["text"]
    assert "CRG-2024/25-001/C1" in listed and "_rejected_" in listed and "a.pdf" in listed
    assert opened(slack, f"claim {REF}", LEAD)["callback_id"] == "claim_make"  # claim anew
    # Nothing more can be decided on it, and the buttons say so rather than opening a form.
    slack.slack.action("claim_query", str(claim.id), user_id=FINANCE, channel_id=FINANCE_CHANNEL)
    assert drain(timeout=15)
    assert any("is rejected already" in t
               for t in texts_to(slack.fake, FINANCE, "chat.postEphemeral"))


def test_a_partnership_with_nobody_to_decide_sends_claims_and_met_conditions_to_the_trackers_admins(
        slack):
    """Set up with chairs only (no admin, no finance officer, no finance channel): a claim or a
    condition marked met would wait for ever unheard; ADMIN_SLACK_IDS hear of them instead."""
    year = partnership()
    pid = approved(year, "2,000")
    agreement = conditions.add_to_project(ADMIN, pid, "Signed agreement", "", "year_end")
    make_claim(slack, [(slack.fake.add_file("a.pdf", PDF), "a.pdf")])
    [dm] = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == "U_ADMIN"
            and "CRG-2024/25-001/C1" in c.args["text"]]
    assert "claim_approve" in shown(dm)
    view = pressed(slack, "condition_met", agreement.id, LEAD, channel=WG)
    assert submit(slack, view, {"note": {"value": plain_text("Signed on 2 May")},
                                "files": {"value": file_input()}}, LEAD) == {}
    assert drain(timeout=15)
    assert any(c.args["channel"] == "U_ADMIN" and "Signed agreement" in json.dumps(c.args)
               for c in slack.fake.calls_to("chat.postMessage"))
