"""A bank alert as a payalert payment: what every alert source shows alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from payalert_banktext import ParsedAlert, alert_payment, alert_title, looks_transactional

from payalert_core import Direction

AT = datetime(2026, 6, 2, 10, 15, tzinfo=UTC)


def _alert(**fields) -> ParsedAlert:
    base = {"parser": "banktext", "amount": Decimal("2500.00"), "currency": "INR", "direction": "credit"}
    return ParsedAlert(**{**base, "occurred_at": AT, **fields})


def test_the_payment_carries_the_alert_s_fields() -> None:
    alert = _alert(channel="upi", counterparty="ASHA", account_last4="4477", reference="612345", vpa="a@ok")
    payment = alert_payment(alert, source="bank", external_id="ref:612345:credit", note="read today")
    assert (payment.kind, payment.direction, payment.title) == (
        "bank.upi.credit",
        Direction.IN,
        "UPI credit from ASHA",
    )
    assert payment.summary == "••4477 · 612345"
    assert payment.details == {
        "Account": "••4477",
        "VPA": "a@ok",
        "Reference": "612345",
        "Parser": "banktext",
        "Note": "read today",
    }


def test_an_empty_account_s_balance_is_shown_as_zero() -> None:
    payment = alert_payment(_alert(balance=Decimal("0.00")), source="bank", external_id="x")
    assert payment.details["Balance"] == "0.00 INR" and payment.amount == Decimal("2500.00")


def test_titles_and_the_words_of_an_alert_no_parser_read() -> None:
    assert alert_title(_alert(channel="card", direction="debit", counterparty="SHOP")) == "Card spend at SHOP"
    assert alert_title(_alert(channel="refund")) == "Refund"
    assert looks_transactional("Rs.500 debited from A/c XX1")
    assert not looks_transactional("Your statement is ready")
