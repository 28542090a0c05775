"""Amounts, currencies, dates and names as Indian banks write them."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from payalert_banktext.values import (
    IST,
    clean_name,
    normalise_currency,
    occurred_at,
    parse_amount,
    parse_date,
    parse_time,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,23,456.00", "123456.00"),
        ("180,000.00", "180000.00"),
        ("1234.5", "1234.5"),
        ("500", "500.00"),
        ("0.75", "0.75"),
        (".05", "0.05"),
    ],
)
def test_amounts_with_indian_and_western_separators(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)
    assert isinstance(parse_amount(text), Decimal)


@pytest.mark.parametrize("text", ["15,OOO", "", "1.2.3", "abc"])
def test_unreadable_amounts_raise(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("Rs.", "INR"),
        ("Rs", "INR"),
        ("Rs:", "INR"),
        ("Rs. INR", "INR"),
        ("INR.", "INR"),
        ("₹", "INR"),
        (None, "INR"),
        ("USD", "USD"),
        ("MYR", "MYR"),
        ("for", None),
        ("UPI", None),
        ("usd", None),
        ("INR Rs.", "INR"),
    ],
)
def test_currency_markers(marker: str | None, expected: str | None) -> None:
    assert normalise_currency(marker) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02-06-26", date(2026, 6, 2)),
        ("23/05/26", date(2026, 5, 23)),
        ("15 Jan 2025", date(2025, 1, 15)),
        ("01 Jun, 2026 at 13:36:21", date(2026, 6, 1)),
        ("29-JUN-2026", date(2026, 6, 29)),
        ("02/JUN/2024", date(2024, 6, 2)),
        ("2024-11-13:17:18:38", date(2024, 11, 13)),
        ("03Dec23", date(2023, 12, 3)),
        ("Jun 02, 2026", date(2026, 6, 2)),
        ("21.03.25", date(2025, 3, 21)),
    ],
)
def test_dates_day_first(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_a_date_without_a_year_takes_the_mails_year_or_the_one_before() -> None:
    sent = datetime(2026, 1, 5, 9, 0, tzinfo=IST)
    assert parse_date("02-01", reference=sent) == date(2026, 1, 2)
    assert parse_date("17-12", reference=sent) == date(2025, 12, 17)


def test_impossible_dates_are_none() -> None:
    assert parse_date("31-02-26") is None
    assert parse_date("no date here") is None


def test_times_and_am_pm() -> None:
    assert parse_time("01:05 PM") == time(13, 5)
    assert parse_time("12:10 AM") == time(0, 10)
    assert parse_time("13:36:21") == time(13, 36, 21)
    assert parse_time("none") is None


def test_occurred_at_is_ist_and_completed_from_the_mail_date() -> None:
    sent = datetime(2026, 6, 2, 4, 30, tzinfo=IST)
    assert occurred_at(date(2026, 6, 2), None, sent) == datetime(2026, 6, 2, 4, 30, tzinfo=IST)
    assert occurred_at(date(2026, 6, 1), None, sent) == datetime(2026, 6, 1, 0, 0, tzinfo=IST)
    assert occurred_at(None, None, sent).utcoffset() == IST.utcoffset(None)
    assert occurred_at(date(2026, 6, 1), time(13, 36), sent).tzinfo is IST


def test_names() -> None:
    assert clean_name("..MC DONALDS_") == "MC DONALDS"
    assert clean_name("RAZ*StickON...") == "RAZ*StickON"
    assert clean_name("   ") is None


@pytest.mark.parametrize("text", ["1" + "0" * 15, "9" * 38, "9" * 38 + ".99", "99,99,99,99,99,99,99,999"])
def test_an_amount_of_any_length_is_read_exactly(text: str) -> None:
    """However many digits: the payment's bounds, not the parser, refuse an amount too large."""
    whole, _, cents = text.replace(",", "").partition(".")
    assert parse_amount(text) == Decimal(f"{whole}.{cents or '00'}")
