"""The verdict pipeline: payment, warning, unparsed notice, nothing; and the dedupe key."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from payalert_banktext import make_chain
from payalert_imap.message import read_message
from payalert_imap.verdict import ReadSettings, classify_mail
from payalert_testing.imap import UPI_CREDIT, alert_mail, upi_credit_mail

from payalert_core import Direction

CHAIN = make_chain()
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
    result = verdict(alert_mail("Rs.99.00 moved in a kind of transaction no parser knows.", subject="Odd"))
    assert (
        result.outcome == "unparsed" and result.kind == "transaction" and "left or reached" in result.reason
    )
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
        "kind",
        "issuer",
        "parser",
        "trust",
    ):
        assert field in document
    assert document["amount"] == "1250.00" and document["parser"] == "banktext"
    assert document["kind"] == "transaction" and document["issuer"] == "HDFC Bank"
    nothing = verdict(alert_mail("Lunch?", sender="a@example.test", auth=None)).to_json()
    assert nothing["amount"] is None and nothing["reason"]


def _two_parts(plain: str, html: str) -> bytes:
    message = email.message_from_bytes(alert_mail(plain), policy=email.policy.default)
    message.add_alternative(f"<html><body><p>{html}</p></body></html>", subtype="html")  # type: ignore[attr-defined]
    return message.as_bytes()


def test_plain_and_html_parts_that_disagree_are_unparsed() -> None:
    genuine = UPI_CREDIT.format(amount="1,500.00", ref="612345678901")
    forged = UPI_CREDIT.format(amount="49,999.00", ref="612345678901")
    result = verdict(_two_parts(forged, genuine))
    assert result.outcome == "unparsed" and result.to_payment({}).amount is None  # type: ignore[union-attr]
    assert (
        "text/plain part says 49999.00 INR credit but the HTML part shows 1500.00 INR credit" in result.reason
    )
    unreadable = genuine.replace("credited", "cred<b></b>ited to you")  # no parser reads it
    hidden = verdict(_two_parts(forged, unreadable))
    assert hidden.outcome == "unparsed" and "shows no such amount" in (hidden.reason or "")
    agreeing = verdict(_two_parts(genuine, unreadable))
    assert agreeing.outcome == "payment" and agreeing.alert.amount == Decimal("1500.00")  # type: ignore[union-attr]


def test_two_transaction_sentences_are_unparsed_not_merged() -> None:
    one = UPI_CREDIT.format(amount="1,500.00", ref="612345678901")
    result = verdict(alert_mail(f"{one}\n{one.replace('4477', '9911')}"))
    assert result.outcome == "unparsed" and "more than one transaction sentence" in (result.reason or "")
    assert verdict(alert_mail(one)).outcome == "payment"


def test_an_alert_for_another_account_is_a_notice_not_a_payment() -> None:
    mine = ReadSettings(authserv_ids=("mx.google.com",), accounts=("4477",))
    assert verdict(upi_credit_mail(), mine).outcome == "payment"
    others = ReadSettings(authserv_ids=("mx.google.com",), accounts=("1234", "5678"))
    result = verdict(upi_credit_mail(), others)
    assert result.outcome == "other_account" and "••4477 is not in accounts" in (result.reason or "")
    notice = result.to_payment({"source": "bank"})
    assert notice is not None and notice.amount is None and notice.kind == "bank.other_account_email"
    assert notice.title == "Bank alert for another account from alerts@hdfcbank.bank.in"
    assert notice.details["Account"] == "••4477"
    assert result.to_json()["parsed"]["amount"] == "1250.00"


def _signed_to(to: str = "me@example.test", signed: str = "from:to:subject", extra_to: bool = False) -> bytes:
    raw = upi_credit_mail(
        extra_headers=[
            ("DKIM-Signature", f"v=1; a=rsa-sha256; d=hdfcbank.bank.in; s=s1; h={signed}; b=abcdef")
        ]
    )
    raw = raw.replace(b"To: me@example.test", f"To: {to}".encode())
    return raw.replace(b"From:", b"To: me@example.test\nFrom:") if extra_to else raw


def test_owner_addresses_need_the_to_header_the_bank_signed() -> None:
    owner = ReadSettings(authserv_ids=("mx.google.com",), owner_addresses=("me@example.test",))
    assert verdict(_signed_to(), owner).outcome == "payment"
    other = verdict(_signed_to(to="Someone <someone@gmail.com>"), owner)
    assert other.outcome == "other_account" and "addressed to someone@gmail.com" in (other.reason or "")
    unsigned = verdict(_signed_to(signed="from:subject"), owner)
    assert unsigned.outcome == "other_account" and "does not cover the To header" in (unsigned.reason or "")
    added = verdict(_signed_to(to="someone@gmail.com", extra_to=True), owner)
    assert added.outcome == "other_account"


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


def test_a_payment_carries_its_match_so_the_same_payment_by_sms_alerts_once() -> None:
    sent = datetime(2026, 6, 2, 10, 15, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    payment = verdict(upi_credit_mail(ref="612345678901", date=sent)).to_payment(
        {"source": "bank"}, repeat_window=timedelta(minutes=3)
    )
    assert payment is not None and payment.match is not None
    assert (payment.match.issuer, payment.match.reference) == ("hdfc", "612345678901:credit")
    assert payment.match.fingerprint == "77|1250|INR|credit"
    assert payment.match.told_at == sent and payment.match.window == timedelta(minutes=3)
