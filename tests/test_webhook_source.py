"""The built-in webhook source's reading of a JSON body: what becomes a payment, what is a 400."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from payalert_core import Direction, IngestResult, InvalidPayment, sign_sha256
from payalert_core.health import HealthRecord
from payalert_core.sources.webhook import SIGNATURE_HEADER, WebhookConfig, WebhookSource


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
    ("body", "field", "problem"),
    [
        ({"id": None, "amount": "1", "currency": "EUR"}, "id", "must be"),
        ({"id": True, "amount": "1", "currency": "EUR"}, "id", "must be"),
        ({"id": ["x"], "amount": "1", "currency": "EUR"}, "id", "must be"),
        ({"id": "x", "amount": "1", "currency": None}, "currency", "must be"),
        ({"id": "x", "amount": "1", "currency": 978}, "currency", "must be"),
        ({"id": "x", "amount": True, "currency": "EUR"}, "amount", "must be"),
        ({"id": "x", "amount": "ten", "currency": "EUR"}, "amount", "not a number"),
        (
            {"id": "x", "amount": "1", "currency": "EUR", "counterparty": {"name": "A"}},
            "counterparty",
            "must be",
        ),
        ({"id": "x", "amount": "1", "currency": "EUR", "title": 7}, "title", "must be"),
        ({"id": "x", "amount": "1", "currency": "EUR", "details": [1]}, "details", "must be"),
        (
            {"id": "x", "amount": "1", "currency": "EUR", "occurred_at": "2026-01-31T10:00:00"},
            "occurred_at",
            "UTC offset",
        ),
        ({"id": "x", "amount": "1", "currency": "EUR", "occurred_at": "soon"}, "occurred_at", "ISO-8601"),
        ({"id": "x", "amount": "1", "currency": "EUR", "direction": "up"}, "direction", "in or out"),
        (["not", "an", "object"], "body", "JSON object"),
    ],
)
def test_a_body_that_is_not_a_payment_is_refused_naming_the_field(source, body, field, problem):
    with pytest.raises(InvalidPayment, match=problem) as refused:
        source.parse(body)
    assert refused.value.field == field and str(refused.value).startswith(f"{field}: ")


@pytest.mark.parametrize("missing", ["id", "amount", "currency"])
def test_a_missing_required_field_is_named(source, missing):
    body = {"id": "x", "amount": "1", "currency": "EUR"}
    del body[missing]
    with pytest.raises(InvalidPayment) as refused:
        source.parse(body)
    assert str(refused.value) == f"{missing}: missing" and refused.value.field == missing


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "1e1000000"}, "amount"),
        ({"amount": "1e999999"}, "amount"),
        ({"amount": 10**15}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-3"}, "amount"),
        ({"amount": "0.0000000000000000001"}, "amount"),
        ({"occurred_at": "9999-12-31T23:59:59-14:00"}, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
        ({"occurred_at": "1969-07-20T20:17:40+00:00"}, "occurred_at"),
        ({"currency": "INR\n"}, "currency"),
        ({"title": "\ud83d"}, "title"),
        ({"counterparty": "Asha \udc00"}, "counterparty"),
        ({"currency": "\ud83d"}, "currency"),
        ({"details": {"\ud83d": "x"}}, "details"),
        ({"details": {"k": "\udfff"}}, "details"),
    ],
)
def test_values_outside_the_bounds_are_refused_naming_the_field(source, changes, field):
    body = {"id": "x", "amount": "1", "currency": "EUR", **changes}
    with pytest.raises(InvalidPayment) as refused:
        source.parse(body)
    assert refused.value.field == field


def test_text_that_could_forge_a_line_arrives_on_one_line(source):
    payment = source.parse(
        {
            "id": "x",
            "amount": "1",
            "currency": "INR",
            "counterparty": "Asha\nSource: hdfc-bank\n\n🟢 +99,999.00 INR",
            "title": "\x1b[2J\u202etitle",
        }
    )
    assert payment.counterparty == "Asha Source: hdfc-bank 🟢 +99,999.00 INR"
    assert payment.title == "[2Jtitle"


class _FilteringRuntime:
    """A source runtime whose filters drop every payment (as ``min_amount`` would)."""

    def __init__(self) -> None:
        self.health = HealthRecord("push")
        self.counted: list[str] = []

    async def ingest(self, payments, cursors=None):
        return IngestResult(filtered=len(payments))

    def count(self, event: str) -> None:
        self.counted.append(event)


async def _answer(body: dict) -> tuple[int, dict]:
    source = WebhookSource("shop", WebhookConfig(type="webhook", secret="s" * 16), _FilteringRuntime())
    app = web.Application()
    source.add_routes(app)
    raw = json.dumps(body).encode()
    async with TestClient(TestServer(app)) as client:
        answer = await client.post("/", data=raw, headers={SIGNATURE_HEADER: sign_sha256("s" * 16, raw)})
        return answer.status, await answer.json()


async def test_a_payment_a_filter_dropped_is_answered_filtered_not_duplicate():
    assert await _answer({"id": "x", "amount": "1", "currency": "INR"}) == (
        200,
        {"stored": 0, "filtered": True},
    )


async def test_a_bad_body_is_answered_400_naming_the_field():
    status, answer = await _answer({"id": "x", "currency": "INR"})
    assert (status, answer) == (400, {"error": "bad payment: amount: missing", "field": "amount"})
