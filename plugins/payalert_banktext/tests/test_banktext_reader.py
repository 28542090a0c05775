"""The grammar on alert texts we wrote: every part's forms, and the texts it must refuse or set aside."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from payalert_banktext import IST, AlertText, NotATransaction, ParsedAlert, Refused, make_chain, read_alert

SENT = datetime(2026, 6, 3, 9, 30, tzinfo=IST)
HDFC = "alerts@hdfcbank.bank.in"


def parse(text: str, sender: str = HDFC) -> ParsedAlert | NotATransaction | Refused | None:
    return make_chain().run(AlertText(text=text, sender=sender, sent_at=SENT))[1]


def payment(text: str, sender: str = "") -> ParsedAlert:
    reading = read_alert(text, sender=sender, sent_at=SENT)
    assert reading.alert is not None, (reading.kind, reading.reason)
    return reading.alert


ISSUE_TEXTS = [
    (
        "Rs.1,50,000.00 is debited from your account ending 5749 towards VPA someone@bank (BIG PURCHASE STORE) on 01-01-26.",
        ("150000.00", "INR", "debit", "5749", None, "BIG PURCHASE STORE", "someone@bank", "2026-01-01"),
    ),
    (
        "Thank you for using HDFC Bank Debit Card ending with 6785 for Rs. 1818.60 at OLLAMA on 28-02-2026 01:07:44.",
        ("1818.60", "INR", "debit", "6785", None, "OLLAMA", None, "2026-02-28T01:07:44"),
    ),
    (
        "Rs.2,499.00 is debited from your HDFC Bank Credit Card ending 0001 towards AMAZON PAY INDIA PVT LTD on 12 "
        "February, 2026 at 18:45:00.",
        ("2499.00", "INR", "debit", "0001", None, "AMAZON PAY INDIA PVT LTD", None, "2026-02-12T18:45:00"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), ISSUE_TEXTS)
def test_the_texts_hdfc_users_reported_parse_with_every_field(text: str, expected: tuple) -> None:
    alert = payment(text)
    amount, currency, direction, last4, reference, counterparty, vpa, when = expected
    assert (alert.amount, alert.currency, alert.direction) == (Decimal(amount), currency, direction)
    assert (alert.account_last4, alert.reference) == (last4, reference)
    assert (alert.counterparty, alert.vpa) == (counterparty, vpa)
    assert alert.occurred_at.isoformat().startswith(when) and alert.occurred_at.tzinfo is not None


def test_upi_debit_with_all_fields() -> None:
    result = parse(
        "Rs.1,500.00 is debited from your account ending 4477 towards VPA shop@ybl (CORNER SHOP) on 02-06-26. "
        "UPI transaction reference no.: 612345678901."
    )
    assert isinstance(result, ParsedAlert)
    assert (result.amount, result.currency, result.direction) == (Decimal("1500.00"), "INR", "debit")
    assert (result.account_last4, result.vpa, result.counterparty) == ("4477", "shop@ybl", "CORNER SHOP")
    assert result.reference == "612345678901" and result.channel == "upi"
    assert result.issuer == "HDFC Bank" and result.parser == "banktext"
    assert result.occurred_at.date().isoformat() == "2026-06-02" and result.occurred_at.tzinfo is not None


def test_foreign_currency_card_spend() -> None:
    result = parse("Spent USD 42.10 On HDFC Bank Card 9922 At AMAZON WEB SERVICES on 2026-06-01:22:10:05.")
    assert isinstance(result, ParsedAlert)
    assert (result.amount, result.currency, result.channel) == (Decimal("42.10"), "USD", "card")
    assert result.occurred_at == datetime(2026, 6, 1, 22, 10, 5, tzinfo=IST)


def test_neft_credit_with_balance_and_utr() -> None:
    result = parse(
        "Update! INR 1,23,456.00 deposited in HDFC Bank A/c XX2536 on 01-JUN-26 for "
        "NEFT Cr-SBIN0001234-ACME PVT LTD-SALARY-SBINN52026060112345678.Avl bal INR 2,00,000.50."
    )
    assert isinstance(result, ParsedAlert)
    assert result.amount == Decimal("123456.00") and result.balance == Decimal("200000.50")
    assert result.channel == "neft" and result.reference == "SBINN52026060112345678"


def test_rtgs_sent() -> None:
    result = parse(
        "RTGS INR 5,00,000.00 sent from HDFC Bank A/c XX1111 on 01-06-26 To A/c xxxx2222 Ref-HDFCR5202606010001"
    )
    assert isinstance(result, ParsedAlert)
    assert (result.channel, result.direction, result.reference) == ("rtgs", "debit", "HDFCR5202606010001")
    assert result.account_last4 == "1111"  # not the payee's xxxx2222


@pytest.mark.parametrize(
    "text",
    [
        "Rs.250.00 has been credited to your A/c XX1234 on 02-06-26 as reversal of UPI txn. UPI Ref No 612345678905.",
        "AMAZON refund of Rs 372 credited to HDFC Bank Credit Card XX2001 on 01-JUN-26",
        "Your transaction of Rs.640 at SHOP on your HDFC Bank Credit Card XX2001 has been reversed.",
    ],
)
def test_refunds_and_reversals_are_credits(text: str) -> None:
    result = parse(text)
    assert isinstance(result, ParsedAlert), result
    assert result.direction == "credit" and result.channel == "refund"


def test_newlines_do_not_matter() -> None:
    result = parse(
        "Sent Rs.45.00\nFrom HDFC Bank A/C *1234\nTo Asha\nOn 23/05/26\nRef 123456789012\nNot You?"
    )
    assert isinstance(result, ParsedAlert) and result.counterparty == "Asha"


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        (
            "TXN DECLINED: Rs.5.00 on 12-04-2026 at SHOP on HDFC Bank Credit Card 1234.",
            "declined",
            "declined",
        ),
        (
            "Alert: INR.1950.00 will be debited on 27/06/2026 from HDFC Bank Card 4433 for Google Play",
            "pending",
            "future",
        ),
        ("123456 is your OTP for a purchase of Rs.10.00 on HDFC Bank Card 1234.", "otp", "one-time password"),
    ],
)
def test_known_non_transactions_name_their_kind(text: str, kind: str, reason: str) -> None:
    result = parse(text)
    assert isinstance(result, NotATransaction) and result.kind == kind and reason in result.reason


def test_two_transactions_in_one_text_are_refused() -> None:
    result = parse(
        "Rs.10.00 spent on HDFC Bank Card x2477 at SHOP on 2026-06-01. "
        "Rs.99.00 spent on HDFC Bank Card x2477 at OTHER on 2026-06-01."
    )
    assert isinstance(result, Refused) and "more than one transaction" in result.reason


def test_an_amount_with_no_direction_is_refused_with_the_reason() -> None:
    result = parse("HDFC Bank: transaction of Rs.99.00 noted on A/c XX1234.")
    assert isinstance(result, Refused) and result.kind == "transaction"
    assert "INR 99.00" in result.reason and "left or reached" in result.reason


@pytest.mark.parametrize("day", ["23/09/26", "31/02/26"])
def test_a_date_after_the_alert_or_an_impossible_one_is_not_used(day: str) -> None:
    result = parse(f"Sent Rs.45.00 From HDFC Bank A/C *1234 To Asha On {day} Ref 123456789012")
    assert isinstance(result, ParsedAlert) and result.occurred_at == SENT
    if day == "23/09/26":
        assert "after the alert was sent" in result.details["date"]


def test_generic_upi_credit_from_another_bank() -> None:
    result = parse(
        "Rs.750.00 credited to your Axis Bank account XX9876 by VPA ravi@oksbi RAVI KUMAR on 01-06-26. "
        "UPI Ref No 612345678909.",
        sender="alerts@axisbank.com",
    )
    assert isinstance(result, ParsedAlert) and result.parser == "banktext" and result.issuer == "Axis Bank"
    assert (result.counterparty, result.vpa, result.reference) == ("RAVI KUMAR", "ravi@oksbi", "612345678909")


def test_upi_collect_request_is_not_a_payment() -> None:
    result = parse("You have a collect request of Rs.5 from VPA x@ybl, UPI.")
    assert isinstance(result, NotATransaction) and result.kind == "collect_request"


def test_a_merchants_receipt_names_no_account_of_the_holder() -> None:
    reading = read_alert(
        "Your payment of Rs.450.00 for flat A-101 maintenance is successful. Regards, Society Desk"
    )
    assert reading.alert is None and reading.kind == "receipt"


def test_nonsense_gets_no_answer() -> None:
    assert parse("Hello, are we still on for dinner?", sender="friend@example.test") is None
    assert read_alert("Hello, are we still on for dinner?").kind == "other"
