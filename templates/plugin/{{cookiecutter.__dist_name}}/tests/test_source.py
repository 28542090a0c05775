{% set prefix = cookiecutter.__class_prefix -%}
{% set package = cookiecutter.__package -%}
{% if cookiecutter.kind == "push" -%}
"""Unit tests: the source's routes on a local server, with an in-memory runtime for the daemon."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiohttp import test_utils, web
from payalert_core import sign_sha256
from payalert_testing import MemorySourceRuntime

from {{ package }}.source import (
    {{ prefix }}Config,
    {{ prefix }}Source,
)

SECRET = "s3cret-for-tests"
ORDER = {
    "id": "order-1",
    "amount": 19.99,
    "currency": "eur",
    "paid_at": "2026-01-31T10:00:00+01:00",
}


@pytest.fixture
def runtime() -> MemorySourceRuntime:
    """Stands in for the daemon's storage and /health."""
    return MemorySourceRuntime()


@pytest.fixture
async def client(runtime: MemorySourceRuntime) -> AsyncIterator[test_utils.TestClient]:
    """An HTTP client for the source's routes, served on 127.0.0.1."""
    config = {{ prefix }}Config(
        type="{{ cookiecutter.plugin_name }}",
        secret=SECRET,
    )
    source = {{ prefix }}Source("shop", config, runtime)
    app = web.Application()
    source.add_routes(app)
    server = test_utils.TestServer(app, host="127.0.0.1")
    async with test_utils.TestClient(server) as client:
        yield client


def signed(payload: object) -> tuple[bytes, dict[str, str]]:
    """A body and the headers that sign it."""
    body = json.dumps(payload).encode()
    return body, {"X-Signature": sign_sha256(SECRET, body)}


async def test_a_signed_payment_is_stored_before_the_answer(client, runtime):
    body, headers = signed(ORDER)
    answer = await client.post("/", data=body, headers=headers)
    assert answer.status == 202
    (payment,) = runtime.payments()
    assert payment.external_id == "order-1"
    assert payment.amount == Decimal("19.99")  # a JSON number, read without a float
    assert payment.currency == "EUR"
    assert payment.occurred_at == datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


async def test_a_redelivery_is_stored_once(client, runtime):
    body, headers = signed(ORDER)
    assert (await client.post("/", data=body, headers=headers)).status == 202
    assert (await client.post("/", data=body, headers=headers)).status == 200
    assert len(runtime.payments()) == 1


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "not-a-signature"])
async def test_a_bad_signature_is_refused(client, runtime, signature):
    body, _ = signed(ORDER)
    headers = {"X-Signature": signature} if signature else {}
    assert (await client.post("/", data=body, headers=headers)).status == 401
    assert runtime.payments() == []
    assert runtime.counts == {"signature_rejected": 1}


async def test_a_time_without_offset_is_a_bad_request(client, runtime):
    body, headers = signed({**ORDER, "paid_at": "2026-01-31T10:00:00"})
    answer = await client.post("/", data=body, headers=headers)
    assert answer.status == 400
    assert "UTC offset" in (await answer.json())["error"]
    assert runtime.payments() == []
{%- elif cookiecutter.kind == "polled" -%}
"""Unit tests: polls of the local API stand-in, with an in-memory runtime for the daemon."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal

import pydantic
import pytest
from payalert_core import RetryLater
from payalert_testing import MemorySourceRuntime

from {{ package }}.source import (
    {{ prefix }}Config,
    {{ prefix }}Source,
)


@pytest.fixture
def runtime() -> MemorySourceRuntime:
    """Stands in for the daemon's storage and /health."""
    return MemorySourceRuntime()


@contextlib.asynccontextmanager
async def started(
    api,
    runtime: MemorySourceRuntime,
    token: str = "",
) -> AsyncIterator[{{ prefix }}Source]:
    """A started source pointed at the API stand-in, closed afterwards."""
    config = {{ prefix }}Config(
        type="{{ cookiecutter.plugin_name }}",
        url=api.url,
        token=token or api.token,
    )
    source = {{ prefix }}Source("shop", config, runtime)
    await source.start()
    try:
        yield source
    finally:
        await source.close()


@pytest.fixture
async def source(api, runtime) -> AsyncIterator[{{ prefix }}Source]:
    """A started source pointed at the API stand-in."""
    async with started(api, runtime) as source:
        yield source


async def test_a_poll_stores_new_payments_with_the_cursor(api, runtime, source):
    api.add("p-1", "10.00", customer="Asha")
    api.add("p-2", "0.50", currency="usd")
    await source.poll()
    assert [p.external_id for p in runtime.payments()] == ["p-1", "p-2"]
    assert runtime.payments()[1].amount == Decimal("0.50")
    assert runtime.payments()[1].currency == "USD"
    assert runtime.state == {"cursor": 2}

    api.add("p-3", "7.25")
    await source.poll()
    assert api.queries == [0, 2]  # the second poll asked only for what is new
    assert [p.external_id for p in runtime.payments()] == ["p-1", "p-2", "p-3"]
    assert runtime.state == {"cursor": 3}


async def test_a_crash_before_the_commit_loses_nothing(api):
    runtime = MemorySourceRuntime(crash_after=2)
    async with started(api, runtime) as source:
        api.add("p-1", "10.00")
        await source.poll()
        api.add("p-2", "20.00")
        with pytest.raises(RuntimeError):
            await source.poll()
        assert runtime.state == {"cursor": 1}  # neither p-2 nor its cursor was kept
        runtime.crash_after = None  # as after a restart
        await source.poll()
    assert [p.external_id for p in runtime.payments()] == ["p-1", "p-2"]


async def test_rate_limiting_asks_for_a_later_poll(api, runtime, source):
    api.add("p-1", "10.00")
    api.fail_next(429, retry_after=30)
    with pytest.raises(RetryLater) as caught:
        await source.poll()
    assert caught.value.retry_after == 30
    assert runtime.payments() == [] and runtime.state == {}


async def test_a_refused_token_names_the_setting_and_not_the_token(api, runtime):
    async with started(api, runtime, token="wrong-token") as source:
        with pytest.raises(PermissionError, match=r"sources\.shop\.token") as caught:
            await source.poll()
    assert "wrong-token" not in str(caught.value)
    assert runtime.payments() == []


def test_the_url_must_be_http():
    with pytest.raises(pydantic.ValidationError, match="http:// or https://"):
        {{ prefix }}Config(
            type="{{ cookiecutter.plugin_name }}",
            url="api.example.com",
            token="t",
        )
{%- elif cookiecutter.kind == "stream" -%}
"""Unit tests: runs on the local stream stand-in, with an in-memory runtime for the daemon."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pydantic
import pytest
from payalert_testing import MemorySourceRuntime

from {{ package }}.source import (
    {{ prefix }}Config,
    {{ prefix }}Source,
)


def make_source(
    stream,
    runtime: MemorySourceRuntime,
    token: str = "",
) -> {{ prefix }}Source:
    """A source pointed at the stream stand-in."""
    config = {{ prefix }}Config(
        type="{{ cookiecutter.plugin_name }}",
        url=stream.url,
        token=token or stream.token,
    )
    return {{ prefix }}Source("feed", config, runtime)


async def test_each_line_is_stored_with_its_cursor(stream):
    stream.add("p-1", "10.00", customer="Asha")
    stream.add("p-2", "0.50", currency="usd")
    stream.end_when_idle = True
    runtime = MemorySourceRuntime()
    with pytest.raises(ConnectionError):  # the end of the stream ends run(); payalert restarts it
        await asyncio.wait_for(make_source(stream, runtime).run(), timeout=15)
    assert [p.external_id for p in runtime.payments()] == ["p-1", "p-2"]
    assert runtime.payments()[1].amount == Decimal("0.50")
    assert runtime.payments()[1].currency == "USD"
    assert runtime.state == {"cursor": 2}
    assert runtime.health.connected is True


async def test_a_reconnect_resumes_after_the_cursor(stream):
    stream.end_when_idle = True
    runtime = MemorySourceRuntime()
    source = make_source(stream, runtime)
    stream.add("p-1", "10.00")
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(source.run(), timeout=15)
    stream.add("p-2", "20.00")
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(source.run(), timeout=15)
    assert stream.connections == [0, 1]
    assert [p.external_id for p in runtime.payments()] == ["p-1", "p-2"]


async def test_a_refused_token_names_the_setting_and_not_the_token(stream):
    runtime = MemorySourceRuntime()
    with pytest.raises(PermissionError, match=r"sources\.feed\.token") as caught:
        await asyncio.wait_for(make_source(stream, runtime, "wrong-token").run(), timeout=15)
    assert "wrong-token" not in str(caught.value)
    assert runtime.health.connected is None


def test_the_url_must_be_http():
    with pytest.raises(pydantic.ValidationError, match="http:// or https://"):
        {{ prefix }}Config(
            type="{{ cookiecutter.plugin_name }}",
            url="api.example.com",
            token="t",
        )
{%- endif %}
