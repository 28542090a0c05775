"""The built-in HDFC and UPI parsers on alert texts we wrote, including the ones they must refuse."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from payalert_banktext import IST, AlertText, NotATransaction, ParsedAlert, Refused, make_chain
from payalert_banktext.hdfc import hdfc_parser
from payalert_banktext.upi import upi_parser

SENT = datetime(2026, 6, 3, 9, 30, tzinfo=IST)
HDFC = "alerts@hdfcbank.bank.in"


def parse(text: str, sender: str = HDFC) -> ParsedAlert | NotATransaction | Refused | None:
    return make_chain().run(AlertText(text=text, sender=sender, sent_at=SENT))[1]


def test_upi_debit_with_all_fields() -> None:
    result = parse(
        "Rs.1,500.00 is debited from your account ending 4477 towards VPA shop@ybl (CORNER SHOP) on 02-06-26. "
        "UPI transaction reference no.: 612345678901."
    )
    assert isinstance(result, ParsedAlert)
    assert (result.amount, result.currency, result.direction) == (Decimal("1500.00"), "INR", "debit")
    assert (result.account_last4, result.vpa, result.counterparty) == ("4477", "shop@ybl", "CORNER SHOP")
    assert result.reference == "612345678901" and result.channel == "upi"
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


def test_rtgs_and_imps_sent() -> None:
    result = parse(
        "RTGS INR 5,00,000.00 sent from HDFC Bank A/c XX1111 on 01-06-26 To A/c xxxx2222 Ref-HDFCR5202606010001"
    )
    assert isinstance(result, ParsedAlert)
    assert (result.channel, result.direction, result.reference) == ("rtgs", "debit", "HDFCR5202606010001")


@pytest.mark.parametrize(
    "text",
    [
        "Rs.250.00 has been credited to your A/c XX1234 on 02-06-26 as reversal of UPI txn. UPI Ref No 612345678905.",
        "AMAZON refund of Rs 372 credited to HDFC Bank Credit Card XX2001 on 01-JUN-26",
    ],
)
def test_refunds_and_reversals_are_credits(text: str) -> None:
    result = parse(text)
    assert isinstance(result, ParsedAlert), result
    assert result.direction == "credit" and result.channel == "refund"


def test_html_entities_and_newlines_do_not_matter() -> None:
    result = parse(
        "Sent Rs.45.00\nFrom HDFC Bank A/C *1234\nTo Asha\nOn 23/05/26\nRef 123456789012\nNot You?"
    )
    assert isinstance(result, ParsedAlert) and result.counterparty == "Asha"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("TXN DECLINED: Rs.5.00 on 12-04-2026 at SHOP on HDFC Bank Credit Card 1234.", "declined"),
        (
            "Alert: INR.1950.00 will be debited on 27/06/2026 from HDFC Bank Card 4433 for Google Play",
            "future",
        ),
        ("123456 is your OTP for a purchase of Rs.10.00 on HDFC Bank Card 1234.", "one-time password"),
    ],
)
def test_known_non_transactions(text: str, reason: str) -> None:
    result = parse(text)
    assert isinstance(result, NotATransaction) and reason in result.reason


def test_two_transactions_in_one_text_are_refused() -> None:
    result = parse(
        "Rs.10.00 spent on HDFC Bank Card x2477 at SHOP on 2026-06-01. "
        "Rs.99.00 spent on HDFC Bank Card x2477 at OTHER on 2026-06-01."
    )
    assert isinstance(result, Refused) and "more than one transaction" in result.reason


def test_a_date_after_the_mail_is_refused() -> None:
    result = parse("Sent Rs.45.00 From HDFC Bank A/C *1234 To Asha On 23/09/26 Ref 123456789012")
    assert isinstance(result, Refused) and "after the mail was sent" in result.reason


def test_an_impossible_date_is_refused() -> None:
    result = parse("Sent Rs.45.00 From HDFC Bank A/C *1234 To Asha On 31/02/26 Ref 123456789012")
    assert isinstance(result, Refused) and "date" in result.reason


def test_generic_upi_credit_from_another_bank() -> None:
    result = parse(
        "Rs.750.00 credited to your Axis Bank account XX9876 by VPA ravi@oksbi RAVI KUMAR on 01-06-26. "
        "UPI Ref No 612345678909.",
        sender="alerts@axisbank.com",
    )
    assert isinstance(result, ParsedAlert) and result.parser == "upi"
    assert (result.counterparty, result.vpa, result.reference) == ("RAVI KUMAR", "ravi@oksbi", "612345678909")


def test_upi_collect_request_is_not_a_payment() -> None:
    result = upi_parser().parse(
        AlertText("You have a collect request of Rs.5 from VPA x@ybl, UPI.", sent_at=SENT)
    )
    assert isinstance(result, NotATransaction)


def test_hdfc_parser_leaves_other_banks_mail_alone() -> None:
    message = AlertText("NEFT from HDFC Bank credited Rs.5", sender="alerts@icicibank.com", sent_at=SENT)
    assert hdfc_parser().parse(message) is None


def test_nonsense_gets_no_answer() -> None:
    assert parse("Hello, are we still on for dinner?", sender="friend@example.test") is None
