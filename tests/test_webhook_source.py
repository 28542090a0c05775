"""The built-in webhook source's reading of a JSON body: what becomes a payment, what is a 400."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payalert_core import Direction
from payalert_core.sources.webhook import WebhookConfig, WebhookSource


@pytest.fixture
def source():
    return WebhookSource("shop", WebhookConfig(type="webhook", secret="s" * 16), None)


def test_a_full_body_becomes_a_payment(source):
    payment = source.parse(
        {
            "id": 42,
            "amount": "1250.50",
            "currency": "inr",
            "direction": "out",
            "occurred_at": "2026-01-31T10:00:00+05:30",
            "title": "Refund",
            "counterparty": "Asha",
            "reference": "R-9",
            "link": "https://shop.example/orders/42",
            "details": {"items": 3},
        }
    )
    assert payment.external_id == "42" and payment.amount == Decimal("1250.50")
    assert payment.currency == "INR" and payment.direction is Direction.OUT
    assert payment.occurred_at == datetime(2026, 1, 31, 4, 30, tzinfo=UTC)
    assert (payment.title, payment.counterparty, payment.reference) == ("Refund", "Asha", "R-9")
    assert payment.details == {"items": "3"} and payment.kind == "webhook.payment"


def test_optional_fields_may_be_left_out_or_null(source):
    payment = source.parse({"id": "a1", "amount": 5, "currency": "EUR", "title": None, "link": None})
    assert payment.title == "Payment received" and payment.link is None and payment.summary == ""


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"id": None, "amount": "1", "currency": "EUR"}, "id must be"),
        ({"id": True, "amount": "1", "currency": "EUR"}, "id must be"),
        ({"id": ["x"], "amount": "1", "currency": "EUR"}, "id must be"),
        ({"id": "x", "amount": "1", "currency": None}, "currency must be"),
        ({"id": "x", "amount": "1", "currency": 978}, "currency must be"),
        ({"id": "x", "amount": True, "currency": "EUR"}, "amount must be"),
        (
            {"id": "x", "amount": "1", "currency": "EUR", "counterparty": {"name": "A"}},
            "counterparty must be",
        ),
        ({"id": "x", "amount": "1", "currency": "EUR", "title": 7}, "title must be"),
        ({"id": "x", "amount": "1", "currency": "EUR", "details": [1]}, "details must be"),
        ({"id": "x", "amount": "1", "currency": "EUR", "occurred_at": "2026-01-31T10:00:00"}, "UTC offset"),
        (["not", "an", "object"], "JSON object"),
    ],
)
def test_a_body_that_is_not_a_payment_is_refused_with_the_reason(source, body, problem):
    with pytest.raises((TypeError, ValueError), match=problem):
        source.parse(body)


def test_a_missing_required_key_is_named(source):
    with pytest.raises(KeyError, match="currency"):
        source.parse({"id": "x", "amount": "1"})
