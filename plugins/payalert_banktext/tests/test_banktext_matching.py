"""The keys that let any source recognise one payment told twice (by SMS and by mail)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from payalert_banktext import ParsedAlert, issuer_of_sms_sender, payment_match, read_alert

AT = datetime(2026, 6, 2, 10, 15, tzinfo=UTC)


def _alert(**fields) -> ParsedAlert:
    base = {
        "parser": "banktext",
        "amount": Decimal("2500.00"),
        "currency": "INR",
        "direction": "credit",
        "occurred_at": AT,
        "account_last4": "4477",
        "issuer": "HDFC Bank",
    }
    return ParsedAlert(**{**base, **fields})


def test_the_reference_counts_with_the_direction_and_the_amount_is_written_one_way() -> None:
    match = payment_match(_alert(reference=" upi612345 "), AT, timedelta(minutes=5))
    assert match is not None
    assert (match.issuer, match.reference, match.window) == ("hdfc", "UPI612345:credit", timedelta(minutes=5))
    assert match.fingerprint == "77|2500|INR|credit"
    same = payment_match(_alert(amount=Decimal("2500")), AT)
    assert same is not None and same.fingerprint == match.fingerprint and same.reference is None


def test_the_sender_s_issuer_comes_before_the_one_the_text_names() -> None:
    match = payment_match(_alert(issuer="ICICI Bank"), AT, issuer=issuer_of_sms_sender("VM-HDFCBK"))
    assert match is not None and match.issuer == "hdfc"


def test_an_alert_of_no_known_issuer_has_no_match() -> None:
    assert payment_match(_alert(issuer=None), AT) is None
    assert payment_match(_alert(issuer="Some Co-op Bank"), AT) is None


def test_the_sms_and_the_mail_of_one_payment_give_the_same_keys() -> None:
    sms = read_alert(
        "Rs.2,500.00 credited to HDFC Bank A/c XX4477 on 02-06-26 from VPA asha.k@okaxis (UPI 612345678901)",
        sender="VM-HDFCBK",
        medium="sms",
    )
    mail = read_alert(
        "Dear Customer, Rs.2500.00 has been credited to your account **4477 by VPA asha.k@okaxis on "
        "02-06-26. Your UPI transaction reference number is 612345678901.",
        sender="alerts@hdfcbank.bank.in",
        medium="email",
    )
    assert sms.alert is not None and mail.alert is not None
    keys = [payment_match(r.alert, AT, issuer=r.issuer.profile if r.issuer else None) for r in (sms, mail)]
    assert keys[0] is not None and keys[1] is not None
    assert keys[0].same_payment(keys[1].reference, keys[1].fingerprint, (AT + timedelta(hours=2)).timestamp())
    assert keys[0].same_payment(None, keys[1].fingerprint, (AT + timedelta(minutes=9)).timestamp())
    assert not keys[0].same_payment(None, keys[1].fingerprint, (AT + timedelta(minutes=11)).timestamp())


def test_tellings_showing_more_or_fewer_account_digits_give_one_fingerprint() -> None:
    shown = [payment_match(_alert(account_last4=digits), AT) for digits in ("4477", "477", "77")]
    assert len({match.fingerprint for match in shown if match is not None}) == 1
    other = payment_match(_alert(account_last4="4478"), AT)
    assert other is not None and other.fingerprint != shown[0].fingerprint
