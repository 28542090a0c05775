"""The Binance test server behaves like Binance where payalert depends on it."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

import aiohttp
import pytest
from payalert_testing import corpus_path
from payalert_testing.binance import (
    DEPOSITS,
    P2P,
    PAY,
    RESTRICTIONS,
    BinanceTestServer,
    Fault,
    deposit_record,
    p2p_record,
    pay_record,
)

DAY = 86_400_000


async def signed_get(
    server: BinanceTestServer,
    path: str,
    params: dict,
    secret: str | None = None,
    key: str | None = "default",
    tamper: str = "",
) -> tuple[int, object]:
    """Sign as Binance documents it: HMAC-SHA256 of the query string, appended as ``signature``."""
    params = {"timestamp": server.now_ms(), **params}
    query = urlencode(params)
    signature = hmac.new((secret or server.api_secret).encode(), query.encode(), hashlib.sha256).hexdigest()
    headers = {} if key is None else {"X-MBX-APIKEY": server.api_key if key == "default" else key}
    async with aiohttp.ClientSession() as session:
        url = f"{server.url}{path}?{query}{tamper}&signature={signature}"
        async with session.get(url, headers=headers) as response:
            return response.status, json.loads(await response.text())


async def test_valid_signature_is_accepted(async_binance_server):
    status, body = await signed_get(async_binance_server, RESTRICTIONS, {"recvWindow": 5000})
    assert status == 200 and body["enableReading"] is True and body["enableWithdrawals"] is False


async def test_tampered_query_is_refused(async_binance_server):
    status, body = await signed_get(async_binance_server, DEPOSITS, {"limit": 10}, tamper="&offset=5")
    assert status == 400 and body == {"code": -1022, "msg": "Signature for this request is not valid."}


async def test_wrong_secret_missing_and_unknown_keys(async_binance_server):
    server = async_binance_server
    assert (await signed_get(server, DEPOSITS, {}, secret="other"))[1]["code"] == -1022
    status, body = await signed_get(server, DEPOSITS, {}, key=None)
    assert (status, body) == (401, {"code": -2014, "msg": "API-key format invalid."})
    status, body = await signed_get(server, DEPOSITS, {}, key="nope")
    assert (status, body["code"]) == (401, -2015)


async def test_timestamp_outside_recv_window(async_binance_server):
    server = async_binance_server
    status, body = await signed_get(server, DEPOSITS, {"timestamp": server.now_ms() - 6000})
    assert status == 400 and body["code"] == -1021
    status, body = await signed_get(server, DEPOSITS, {"timestamp": server.now_ms() + 5000})
    assert body == {"code": -1021, "msg": "Timestamp for this request was 1000ms ahead of the server's time."}


async def test_window_limits(async_binance_server):
    server = async_binance_server
    now = server.now_ms()
    status, body = await signed_get(server, DEPOSITS, {"startTime": now - 90 * DAY, "endTime": now})
    assert status == 400 and body["code"] == -1127
    assert (await signed_get(server, DEPOSITS, {"startTime": now - 90 * DAY + 1, "endTime": now}))[0] == 200
    p2p = {"tradeType": "BUY", "startTimestamp": now - 30 * DAY - 1, "endTimestamp": now}
    assert (await signed_get(server, P2P, p2p))[1]["code"] == -1127
    assert (await signed_get(server, P2P, {**p2p, "startTimestamp": now - 30 * DAY}))[0] == 200
    assert (await signed_get(server, PAY, {"startTime": now - 91 * DAY, "endTime": now}))[1]["code"] == -1127
    assert (await signed_get(server, P2P, {}))[1]["code"] == -1102  # tradeType is mandatory


async def test_deposit_offset_paging_newest_first(async_binance_server):
    server = async_binance_server
    now = server.now_ms()
    server.add_deposits(*(deposit_record(f"d{i}", insert_time=now - 10_000 + i) for i in range(25)))
    window = {"startTime": now - 20_000, "endTime": now}
    _, first = await signed_get(server, DEPOSITS, {**window, "limit": 10})
    _, last = await signed_get(server, DEPOSITS, {**window, "limit": 10, "offset": 20})
    assert [d["id"] for d in first] == [f"d{i}" for i in range(24, 14, -1)]
    assert [d["id"] for d in last] == [f"d{i}" for i in range(4, -1, -1)]
    assert (await signed_get(server, DEPOSITS, {**window, "limit": 1001}))[1]["code"] == -1130


async def test_p2p_pages_and_pay_limit(async_binance_server):
    server = async_binance_server
    now = server.now_ms()
    server.add_p2p_orders(*(p2p_record(f"2{i:019d}", create_time=now - 5000 + i) for i in range(150)))
    server.add_p2p_orders(p2p_record("3" * 20, trade_type="BUY", create_time=now - 100))
    window = {"tradeType": "SELL", "startTimestamp": now - 10_000, "endTimestamp": now}
    _, page2 = await signed_get(server, P2P, {**window, "page": 2, "rows": 100})
    assert page2["total"] == 150 and len(page2["data"]) == 50 and page2["success"] is True
    server.add_pay_transactions(*(pay_record(f"P{i}", transaction_time=now - 5000 + i) for i in range(120)))
    _, pay = await signed_get(server, PAY, {"startTime": now - 10_000, "endTime": now, "limit": 100})
    assert len(pay["data"]) == 100 and pay["data"][0]["transactionId"] == "P119"


async def test_serves_the_published_examples(async_binance_server):
    server = async_binance_server
    example = json.loads(corpus_path("binance", "deposit_hisrec.binance-connector-python.json").read_text())
    server.add_deposits(*example)
    start = example[0]["insertTime"] - 1000
    _, body = await signed_get(server, DEPOSITS, {"startTime": start, "endTime": start + 2000})
    assert body == example


async def test_scripted_faults_in_order_then_normal(async_binance_server):
    server = async_binance_server
    server.script("*", Fault.rate_limited(3))
    server.script(DEPOSITS, Fault.rejected_key())
    assert (await signed_get(server, DEPOSITS, {}))[0] == 401
    status, body = await signed_get(server, PAY, {})
    assert status == 429 and body["code"] == -1003
    assert (await signed_get(server, PAY, {}))[0] == 200
    assert [r.status for r in server.requests_to(PAY)] == [429, 200]


@pytest.mark.parametrize("status", [500, 503])
async def test_fail_always_until_cleared(async_binance_server, status):
    server = async_binance_server
    server.fail_always(PAY, Fault.server_error(status))
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.get(f"{server.url}{PAY}") as response:
                assert response.status == status
    server.fail_always(PAY, None)
    assert (await signed_get(server, PAY, {}))[0] == 200
    assert [r.status for r in server.requests_to(PAY)] == [status, status, 200]
