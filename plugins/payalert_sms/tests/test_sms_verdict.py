"""What one SMS becomes: only an issuer's DLT header makes a payment; the rest is dropped or told."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from payalert_banktext import make_chain
from payalert_sms.gateway import ForwardedSms
from payalert_sms.verdict import SmsSettings, classify_sms
from payalert_testing.sms import HDFC_CREDIT

from payalert_core import Direction

CHAIN = make_chain()
AT = datetime(2026, 6, 2, 10, 15, tzinfo=UTC)
CREDIT = HDFC_CREDIT.format(amount="2,500.00", ref="612345678901")


def verdict(sender: str, text: str = CREDIT, **settings):
    return classify_sms(ForwardedSms(sender, text, AT), CHAIN, SmsSettings(**settings))


def test_a_bank_s_sms_from_its_header_is_a_payment_with_its_match() -> None:
    result = verdict("VM-HDFCBK")
    payment = result.to_payment("phone", SmsSettings())
    assert result.outcome == "payment" and payment is not None
    assert (payment.amount, payment.direction, payment.reference) == (2500, Direction.IN, "612345678901")
    assert payment.match is not None and payment.match.issuer == "hdfc"
    assert payment.match.told_at == AT and payment.external_id == result.external_id


@pytest.mark.parametrize(
    "sender", ["+919876543210", "9876543210", "HDFCBK", "HDFC Bank", "VM-HDFCBQ", "VM-NOTABK"]
)
def test_the_same_text_from_anyone_else_is_never_a_payment(sender: str) -> None:
    dropped = verdict(sender)
    assert dropped.outcome == "untrusted" and dropped.to_payment("phone", SmsSettings()) is None
    told = verdict(sender, spoofed_notice=True)
    notice = told.to_payment("phone", SmsSettings())
    assert told.outcome == "spoofed" and notice is not None and notice.amount is None
    assert notice.kind == "bank.spoofed_sms" and "never from a phone number" in notice.details["What to do"]


def test_a_header_the_user_trusts_makes_a_payment_only_through_an_operator() -> None:
    text = CREDIT.replace("HDFC Bank", "Xyz Co-op Bank")
    assert verdict("VM-XYZBNK", text).outcome == "untrusted"
    trusted = verdict("VM-XYZBNK", text, bank_headers=frozenset({"XYZBNK"}))
    payment = trusted.to_payment("phone", SmsSettings())
    assert trusted.outcome == "payment" and payment is not None and payment.amount == 2500
    assert trusted.issuer is not None and trusted.issuer.name == "XYZBNK"
    assert payment.match is not None and payment.match.issuer == "sms-header:xyzbnk"
    # Without the operator's prefix it did not come through the DLT platform: still untrusted.
    assert verdict("XYZBNK", text, bank_headers=frozenset({"XYZBNK"})).outcome == "untrusted"
    # A header a profile already has stays that issuer's.
    assert verdict("VM-HDFCBK", bank_headers=frozenset({"HDFCBK"})).issuer.id == "hdfc"


def test_an_ordinary_text_from_a_number_is_no_bank_s() -> None:
    result = verdict("+919876543210", "Reaching at 7, see you")
    assert (
        result.outcome == "not_bank" and result.to_payment("phone", SmsSettings(spoofed_notice=True)) is None
    )


def test_an_otp_is_ignored_and_never_told_whoever_sent_it() -> None:
    otp = "482910 is your OTP for a txn of Rs.2,000.00 at SHOP. Do not share it."
    result = verdict("VM-HDFCBK", otp)
    assert result.outcome == "ignored" and result.kind == "otp"
    stranger = verdict("+919876543210", otp, spoofed_notice=True)
    assert stranger.outcome == "not_bank" and stranger.to_payment("phone", SmsSettings()) is None


def test_a_bank_sms_about_money_that_no_parser_reads_is_an_unparsed_notice() -> None:
    text = "Your A/c XX4477 txn of Rs.500 happened somewhere odd"
    notice = verdict("VM-HDFCBK", text).to_payment("phone", SmsSettings())
    assert notice is not None and notice.kind == "bank.unparsed_sms"
    assert verdict("VM-HDFCBK", text, unparsed_notice=False).outcome == "ignored"


def test_an_alert_for_another_account_is_not_the_user_s_payment() -> None:
    result = verdict("VM-HDFCBK", accounts=("1111",))
    assert result.outcome == "other_account" and "••4477" in (result.reason or "")
    assert verdict("VM-HDFCBK", accounts=("4477",)).outcome == "payment"


def test_an_amount_beyond_the_bounds_becomes_an_unparsed_notice() -> None:
    huge = HDFC_CREDIT.format(amount="10,00,00,00,00,00,00,000.00", ref="612345678902")
    payment = verdict("VM-HDFCBK", huge).to_payment("phone", SmsSettings())
    assert payment is not None and payment.kind == "bank.unparsed_sms" and "amount" in payment.summary
