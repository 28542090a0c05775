"""python-binance's AsyncClient against the test server: signing, clock sync and error translation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from payalert_binance.api import BinanceApi, BinanceFailure, FailureKind, parse_retry_after
from payalert_binance.config import BinanceConfig
from payalert_testing.binance import DEPOSITS, TIME, BinanceTestServer, Fault, deposit_record


def make_api(server: BinanceTestServer, counts: list[str] | None = None, **overrides) -> BinanceApi:
    config = BinanceConfig.model_validate(server.source_config(request_timeout="1s", **overrides))
    sink = counts if counts is not None else []
    return BinanceApi(config, logging.getLogger("test.binance"), sink.append)


async def deposits(api: BinanceApi) -> list:
    now = api.now_ms()
    return await api.call(
        "deposit history", "get_deposit_history", startTime=now - 60_000, endTime=now, limit=1000
    )


async def failure_of(api: BinanceApi) -> BinanceFailure:
    with pytest.raises(BinanceFailure) as caught:
        await deposits(api)
    return caught.value


async def test_signed_call_through_overridden_base_url(async_binance_server):
    server = async_binance_server
    server.add_deposits(deposit_record("a", insert_time=server.now_ms() - 1000))
    api = make_api(server)
    try:
        assert [record["id"] for record in await deposits(api)] == ["a"]
    finally:
        await api.close()
    (request,) = server.requests_to(DEPOSITS)
    assert request.status == 200 and request.api_key == server.api_key
    assert set(request.params) >= {"startTime", "endTime", "limit", "timestamp", "recvWindow", "signature"}
    assert request.params["recvWindow"] == "10000"


async def test_wrong_secret_fails_the_signature_check(async_binance_server):
    api = make_api(async_binance_server, api_secret="not-the-secret-at-all")
    try:
        failure = await failure_of(api)
    finally:
        await api.close()
    assert failure.kind is FailureKind.AUTH and failure.code == -1022
    assert "Signature for this request is not valid." in failure.message
    assert "api_secret" in failure.message


async def test_unknown_key_is_rejected_with_a_clear_message(async_binance_server):
    api = make_api(async_binance_server, api_key="someone-elses-key-000")
    try:
        failure = await failure_of(api)
    finally:
        await api.close()
    assert failure.kind is FailureKind.AUTH and failure.code == -2015 and failure.status == 401
    assert "Invalid API-key, IP, or permissions for action." in failure.message
    assert "Enable Reading" in failure.message
    assert failure.retry_after == 1800


@pytest.mark.parametrize("offset_ms", [30_000, -30_000])
async def test_clock_skew_resyncs_and_retries_once(async_binance_server, offset_ms):
    server = async_binance_server
    api = make_api(server, counts := [])
    try:
        await api.sync_time()
        server.clock_offset_ms = offset_ms
        assert await deposits(api) == []
    finally:
        await api.close()
    assert [(r.path, r.status) for r in server.requests] == [
        (TIME, 200),
        (DEPOSITS, 400),
        (TIME, 200),
        (DEPOSITS, 200),
    ]
    assert counts == ["clock_resync"]


async def test_clock_skew_that_persists_is_transient(async_binance_server):
    server = async_binance_server
    server.script(DEPOSITS, Fault.clock_skew(), Fault.clock_skew())
    api = make_api(server)
    try:
        failure = await failure_of(api)
    finally:
        await api.close()
    assert failure.kind is FailureKind.TRANSIENT and failure.code == -1021
    assert "Timestamp for this request is outside of the recvWindow." in failure.message


async def test_rate_limit_honours_retry_after(async_binance_server):
    server = async_binance_server
    server.script(DEPOSITS, Fault.rate_limited(retry_after=7), Fault.rate_limited(retry_after=None))
    api = make_api(server, rate_limit_backoff="90s")
    try:
        first = await failure_of(api)
        second = await failure_of(api)
    finally:
        await api.close()
    assert first.kind is FailureKind.RATE_LIMITED and first.retry_after == 7 and first.status == 429
    assert "Too much request weight used" in first.message
    assert second.retry_after == 90


async def test_ban_honours_retry_after_or_the_banned_until_time(async_binance_server):
    server = async_binance_server
    server.script(DEPOSITS, Fault.banned(retry_after=600), Fault.banned(retry_after=None))
    api = make_api(server)
    try:
        first = await failure_of(api)
        second = await failure_of(api)
    finally:
        await api.close()
    assert first.kind is FailureKind.BANNED and first.retry_after == 600
    assert "IP banned until" in first.message and "HTTP 418" in first.message
    # No Retry-After: the ban end Binance states in the message (120 s ahead) is used.
    assert second.kind is FailureKind.BANNED and 100 < second.retry_after <= 120


async def test_region_block_is_explained(async_binance_server):
    server = async_binance_server
    server.script(DEPOSITS, Fault.region_blocked())
    api = make_api(server)
    try:
        failure = await failure_of(api)
    finally:
        await api.close()
    assert failure.kind is FailureKind.REGION and failure.status == 451
    assert "location" in failure.message and "tld" in failure.message


async def test_server_errors_and_timeouts_are_transient_and_redacted(async_binance_server):
    server = async_binance_server
    server.script(DEPOSITS, Fault.server_error(502), Fault.error(-1001, status=503), Fault.slow(3))
    api = make_api(server)
    try:
        failures = [await failure_of(api) for _ in range(3)]
    finally:
        await api.close()
    assert [failure.kind for failure in failures] == [FailureKind.TRANSIENT] * 3
    assert "HTTP 502" in failures[0].message
    assert "Internal error" in failures[1].message
    assert "no answer within 1s" in failures[2].message
    for failure in failures:
        assert "signature" not in failure.message and server.api_secret not in failure.message


async def test_connection_refused_is_transient():
    server = BinanceTestServer()
    await server.start_async()
    await server.stop_async()  # the port is now closed
    api = make_api(server)
    try:
        failure = await failure_of(api)
    finally:
        await api.close()
    assert failure.kind is FailureKind.TRANSIENT and "unreachable" in failure.message
    assert "signature=" not in failure.message


def test_parse_retry_after():
    assert parse_retry_after("12") == 12
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = datetime.now(UTC) + timedelta(seconds=120)
    assert 100 < parse_retry_after(format_datetime(later, usegmt=True)) <= 120
    assert parse_retry_after("-5") == 0


async def test_python_binance_puts_the_signed_url_in_html_errors_and_we_do_not(async_binance_server):
    from binance.exceptions import BinanceAPIException

    server = async_binance_server
    server.script(DEPOSITS, Fault.server_error(502), Fault.server_error(502))
    api = make_api(server)
    try:
        client = api._open()
        with pytest.raises(BinanceAPIException) as raw:
            await client.get_deposit_history(limit=10)
        failure = await failure_of(api)
    finally:
        await api.close()
    assert "signature=" in raw.value.message  # the hazard is real
    assert "signature=" not in failure.message and "?" not in failure.message


async def test_waf_refusal_is_backed_off_like_a_rate_limit(async_binance_server):
    server = async_binance_server
    server.script(DEPOSITS, Fault.waf_blocked(retry_after=30), Fault.waf_blocked())
    api = make_api(server, rate_limit_backoff="90s")
    try:
        first = await failure_of(api)
        second = await failure_of(api)
    finally:
        await api.close()
    assert first.kind is FailureKind.FIREWALL and first.status == 403 and first.retry_after == 30
    assert "HTTP 403" in first.message and "firewall" in first.message
    assert second.kind is FailureKind.FIREWALL and second.retry_after == 90
