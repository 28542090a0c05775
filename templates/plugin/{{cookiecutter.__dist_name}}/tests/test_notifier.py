{% set prefix = cookiecutter.__class_prefix -%}
{% set package = cookiecutter.__package -%}
"""Unit tests: sends to the local webhook stand-in, without a daemon."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pydantic
import pytest
from payalert_core import Direction, Payment, PermanentFailure, RetryLater
from payalert_testing import MemoryNotifierRuntime, free_port

from {{ package }}.notifier import (
    {{ prefix }}Config,
    {{ prefix }}Notifier,
    alert_text,
)

PAYMENT = Payment(
    source="bank",
    kind="bank.credit",
    external_id="t-1",
    amount=Decimal("1234.50"),
    currency="INR",
    direction=Direction.IN,
    occurred_at=datetime(2026, 1, 31, 10, 0, tzinfo=UTC),
    title="UPI credit",
    counterparty="Asha",
)


async def started(url: str) -> {{ prefix }}Notifier:
    """A started notifier posting to ``url``."""
    config = {{ prefix }}Config(
        type="{{ cookiecutter.plugin_name }}",
        url=url,
    )
    notifier = {{ prefix }}Notifier("chat", config, MemoryNotifierRuntime())
    await notifier.start()
    return notifier


@pytest.fixture
async def notifier(chat) -> AsyncIterator[{{ prefix }}Notifier]:
    """A notifier posting to the webhook stand-in."""
    notifier = await started(chat.url + "/hook")
    yield notifier
    await notifier.close()


async def test_an_alert_is_posted_as_text_and_data(chat, notifier):
    await notifier.send(PAYMENT, "default")
    (message,) = chat.messages
    assert message["text"] == "UPI credit\n1,234.50 INR\nfrom Asha"
    assert Payment.from_json(json.dumps(message["payment"])) == PAYMENT


async def test_rate_limiting_is_retried_after_the_servers_delay(chat, notifier):
    chat.fail_next(429, retry_after=12)
    with pytest.raises(RetryLater) as caught:
        await notifier.send(PAYMENT, "default")
    assert caught.value.retry_after == 12
    assert chat.messages == []


async def test_a_server_error_is_retried(chat, notifier):
    chat.fail_next(503)
    with pytest.raises(RetryLater, match="HTTP 503"):
        await notifier.send(PAYMENT, "default")


async def test_a_refusal_is_permanent(chat, notifier):
    chat.fail_next(400)
    with pytest.raises(PermanentFailure, match="HTTP 400"):
        await notifier.send(PAYMENT, "default")


async def test_an_unreachable_webhook_is_retried_without_showing_the_url():
    notifier = await started(f"http://127.0.0.1:{free_port()}/hook?key=secret-key")
    try:
        with pytest.raises(RetryLater) as caught:
            await notifier.send(PAYMENT, "default")
    finally:
        await notifier.close()
    assert "secret-key" not in str(caught.value)


def test_a_notice_has_no_amount_line():
    notice = PAYMENT.replace(amount=None, currency=None, direction=Direction.NONE)
    assert alert_text(notice.replace(summary="Sponsorship cancelled")) == (
        "UPI credit\nfrom Asha\nSponsorship cancelled"
    )


def test_the_url_must_be_http():
    with pytest.raises(pydantic.ValidationError, match="http:// or https://"):
        {{ prefix }}Config(
            type="{{ cookiecutter.plugin_name }}",
            url="hooks.example.com/x",
        )
