"""The verdict pipeline: payment, warning, unparsed notice, nothing; and the dedupe key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from imap_testkit import alert_mail, upi_credit_mail
from payalert_imap.message import read_message
from payalert_imap.parsing import make_chain
from payalert_imap.verdict import ReadSettings, classify_mail

from payalert_core import Direction

CHAIN = make_chain(plugins=False)
SETTINGS = ReadSettings(authserv_ids=("mx.google.com",))


def verdict(raw: bytes, settings: ReadSettings = SETTINGS):
    return classify_mail(read_message(raw), CHAIN, settings)


def test_trusted_alert_is_a_payment_with_reference_as_dedupe_key() -> None:
    first = verdict(upi_credit_mail(ref="612345678901")).to_payment({"source": "bank"})
    second = verdict(upi_credit_mail(ref="612345678901", subject="Another mail")).to_payment(
        {"source": "bank"}
    )
    assert first is not None and second is not None
    assert first.external_id == second.external_id == "ref:612345678901:credit"
    assert first.direction is Direction.IN and first.kind == "bank.upi.credit"
    assert first.details["Account"] == "••4477"


def test_without_reference_the_message_id_is_the_key() -> None:
    raw = alert_mail("You have spent Rs. 300 at a local store.", message_id="<m1@test.example>")
    payment = verdict(raw).to_payment({})
    assert payment is not None and payment.external_id == "msg:<m1@test.example>"


def test_unparsed_bank_mail_becomes_a_notice_with_subject_and_sender() -> None:
    result = verdict(
        alert_mail("Rs.99.00 has been debited for a kind of payment no parser knows.", subject="Odd")
    )
    assert result.outcome == "unparsed"
    notice = result.to_payment({"source": "bank"})
    assert notice is not None and notice.amount is None and notice.details["Subject"] == "Odd"
    assert notice.details["From"] == "alerts@hdfcbank.bank.in"


def test_bank_mail_without_money_is_ignored_with_a_reason() -> None:
    result = verdict(alert_mail("Your new debit card is on its way."))
    assert result.outcome == "ignored" and result.reason and result.to_payment({}) is None


def test_ordinary_mail_is_not_a_bank_alert() -> None:
    result = verdict(alert_mail("Lunch tomorrow?", sender="friend@example.test", auth=None))
    assert result.outcome == "not_bank" and result.to_payment({}) is None


def test_notices_can_be_switched_off_and_trust_too() -> None:
    forged = upi_credit_mail(auth="mx.google.com; dkim=fail; dmarc=fail header.from=hdfcbank.bank.in")
    assert verdict(forged).outcome == "suspicious"
    quiet = ReadSettings(authserv_ids=("mx.google.com",), suspicious_notice=False)
    assert verdict(forged, quiet).outcome == "ignored"
    trusting = ReadSettings(require_authentication=False)
    result = verdict(forged, trusting)
    assert result.outcome == "payment" and result.trust.status == "not_checked"


def test_filters_on_sender_and_subject() -> None:
    settings = ReadSettings(authserv_ids=("mx.google.com",), senders=("hdfcbank.net",))
    assert verdict(upi_credit_mail(), settings).outcome == "filtered"
    settings = ReadSettings(
        authserv_ids=("mx.google.com",), senders=("alerts@hdfcbank.bank.in",), subject_patterns=("^View:",)
    )
    assert verdict(upi_credit_mail(), settings).outcome == "payment"
    assert verdict(upi_credit_mail(subject="Other"), settings).outcome == "filtered"


def test_explain_json_names_every_field() -> None:
    document = verdict(upi_credit_mail()).to_json()
    for field in (
        "amount",
        "currency",
        "direction",
        "account_last4",
        "counterparty",
        "vpa",
        "reference",
        "occurred_at",
        "balance",
        "parser",
        "trust",
    ):
        assert field in document
    assert document["amount"] == "1250.00" and document["parser"] == "hdfc"
    nothing = verdict(alert_mail("Lunch?", sender="a@example.test", auth=None)).to_json()
    assert nothing["amount"] is None and nothing["reason"]


def test_a_date_out_of_range_gives_way_to_the_time_read_with_a_note() -> None:
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14)))
    raw = alert_mail("You have spent Rs. 300 at a local store.", date=far)  # the text has no date
    payment = verdict(raw).to_payment({"source": "bank"})
    assert payment is not None and payment.amount is not None
    assert abs(payment.occurred_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert "out of range" in payment.details["Note"]


def test_a_forged_mail_dated_year_9999_becomes_a_notice_dated_now() -> None:
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14)))
    raw = upi_credit_mail(date=far, sender="alerts@hdfcbank.net", auth=None)  # not authenticated
    result = verdict(raw)
    assert result.outcome == "suspicious"
    notice = result.to_payment({"source": "bank"})
    assert notice is not None and abs(notice.occurred_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert "out of range" in notice.details["Note"]


def test_an_alert_outside_the_payment_bounds_becomes_an_unread_mail_notice() -> None:
    payment = verdict(upi_credit_mail(amount="1,000,000,000,000,000.00")).to_payment({"source": "bank"})
    assert payment is not None and payment.amount is None and payment.kind == "bank.unparsed_email"
    assert "amount" in payment.details["Reason"]
