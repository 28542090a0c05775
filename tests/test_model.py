import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from payalert_core import Direction, Payment, format_amount

IST = timezone(timedelta(hours=5, minutes=30))


def make(**changes):
    fields = dict(
        source="bank",
        kind="bank.upi_credit",
        external_id="RRN1",
        amount=Decimal("1250.50"),
        currency="INR",
        direction=Direction.IN,
        occurred_at=datetime(2026, 1, 31, 10, 0, tzinfo=IST),
        title="UPI credit",
    )
    fields.update(changes)
    return Payment(**fields)


def test_round_trip_keeps_decimal_and_offset():
    payment = make(details={"Account": "XX1234"}, raw={"text": "₹1,250.50"})
    again = Payment.from_json(payment.to_json())
    assert again == payment
    assert again.amount == Decimal("1250.50") and isinstance(again.amount, Decimal)
    assert again.occurred_at.utcoffset() == timedelta(hours=5, minutes=30)


def test_floats_are_refused():
    with pytest.raises(TypeError, match="Decimal"):
        make(amount=12.5)


def test_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        make(occurred_at=datetime(2026, 1, 1))


def test_amount_and_currency_go_together():
    with pytest.raises(ValueError, match="together"):
        make(currency=None)
    notice = make(amount=None, currency=None, direction=Direction.NONE)
    assert notice.is_notice


@pytest.mark.parametrize("currency", ["inr", "₹", "", "TOO-LONG-CODE"])
def test_currency_codes_are_checked(currency):
    with pytest.raises(ValueError):
        make(currency=currency)


def test_direction_strings_are_converted():
    assert make(direction="out").direction is Direction.OUT


def test_empty_external_id_is_refused():
    with pytest.raises(ValueError, match="external_id"):
        make(external_id="")


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("1250.5"), "INR", "1,250.50 INR"),
        (Decimal("100"), "USD", "100.00 USD"),
        (Decimal("0.00150000"), "BTC", "0.0015 BTC"),
        (Decimal("123456.78"), "INR", "123,456.78 INR"),
    ],
)
def test_format_amount(amount, currency, shown):
    assert format_amount(amount, currency) == shown


@pytest.mark.parametrize(
    "occurred_at",
    [
        datetime(2026, 1, 31, 10, 0, 5, 123, tzinfo=IST),
        datetime(
            2026, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=53, seconds=28))
        ),  # an offset with seconds, as local mean times have
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-3, microseconds=5))),
    ],
)
def test_round_trip_keeps_the_exact_time_and_offset(occurred_at):
    again = Payment.from_json(make(occurred_at=occurred_at).to_json())
    assert again.occurred_at == occurred_at and again.occurred_at.utcoffset() == occurred_at.utcoffset()


def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (
            {"price": Decimal("0.10"), "when": datetime(2026, 1, 31, tzinfo=IST), 7: "seven"},
            {"price": "0.10", "when": "2026-01-31T00:00:00+05:30", "7": "seven"},
        ),
        (
            {"huge": 10**40, "when": datetime(2026, 1, 31, tzinfo=IST)},  # beyond orjson: the fallback
            {"huge": 10**40, "when": "2026-01-31T00:00:00+05:30"},
        ),
        ({"deep": nested(300)}, {"deep": nested(300)}),
    ],
)
def test_any_raw_payload_is_stored_as_json(raw, stored):
    assert json.loads(make(raw=raw).to_json())["raw"] == stored


def test_a_payment_stored_through_the_fallback_encoder_reads_back_the_same():
    payment = make(raw={"huge": 10**40}, occurred_at=datetime(2026, 1, 31, 10, 0, 5, 123, tzinfo=IST))
    assert Payment.from_json(payment.to_json()) == payment
