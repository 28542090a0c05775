"""Fault scenario: Binance answers -1021, 429, 418, 5xx and nothing at all, in turn, while money arrives.

A real ``payalert run`` polls the Binance test server (deposits, P2P and Pay) every 0.5 s and
alerts through the recorder and the telegram notifier. Before each fault and while it lasts, a new
deposit, P2P order and Pay transaction appear. Every record must be alerted exactly once, no
request may reach Binance before a ``Retry-After`` has run out (by the server's own clock, no
tolerance), and ``/health`` must be healthy again at the end.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from payalert_testing import DaemonProcess, TelegramAPI, corpus_path
from payalert_testing.binance import (
    PAY,
    BinanceTestServer,
    Fault,
    RecordedRequest,
    deposit_record,
    load_error_messages,
    p2p_record,
    pay_record,
)

from .tallying import tally
from .telegram_sink import FAST_RETRY, QUICK_LIMITS, QUICK_PACE, received_ids, telegram_section

CHAT = 111
CLIENT_TIMEOUT = "1s"
#: Each fault and how to tell, from the server's log of requests, that it was answered.
FAULTS: list[tuple[str, Fault, int]] = [
    ("-1021", Fault.clock_skew(), 400),
    ("429", Fault.rate_limited(retry_after=2), 429),
    ("418", Fault.banned(retry_after=3), 418),
    ("502", Fault.server_error(502), 502),
    ("503", Fault.error(-1001, status=503), 503),
    ("timeout", Fault.slow(3), 0),  # answered only after the client gave up
]


@pytest.fixture
def binance() -> Iterator[BinanceTestServer]:
    """The Binance test server with Binance's own error messages."""
    messages = load_error_messages(corpus_path("binance", "errors.spot-api-docs.json"))
    server = BinanceTestServer(error_messages=messages).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bot_api() -> Iterator[TelegramAPI]:
    """The local Bot API, pacing each chat at 0.2 s (Telegram is not what fails here)."""
    with TelegramAPI(limits=QUICK_LIMITS) as api:
        yield api


class Market:
    """New records on the server, and the alert ids they must produce."""

    def __init__(self, server: BinanceTestServer) -> None:
        self.server = server
        self.expected: list[str] = []

    def arrive(self, label: str) -> None:
        """A deposit, a completed P2P sale and an incoming Pay transfer, all happening now."""
        number = len(self.expected) + 1
        now = self.server.now_ms()
        order = f"{22000000000000000000 + number}"
        self.server.add_deposits(deposit_record(f"dep-{label}", amount=f"{number}.5", insert_time=now))
        self.server.add_p2p_orders(p2p_record(order, amount=f"{number}0.00000000", create_time=now))
        self.server.add_pay_transactions(
            pay_record(f"M_P_{label}", amount=f"{number}.25", transaction_time=now)
        )
        self.expected += [f"deposit:dep-{label}", f"p2p:{order}", f"pay:M_P_{label}"]


def early_requests(server: BinanceTestServer) -> list[tuple[RecordedRequest, RecordedRequest, float]]:
    """Each request that arrived before a Retry-After answered to an earlier one had run out."""
    requests = list(server.requests)
    found = []
    for answer in requests:
        if answer.retry_after is None:
            continue
        ends = answer.answered_at + float(answer.retry_after)
        for other in requests:
            if answer.answered_at < other.at < ends:
                found.append((answer, other, ends - other.at))
    return found


def waits_kept(server: BinanceTestServer) -> list[float]:
    """For each Retry-After answer: seconds from the end of the wait to the next request."""
    requests = list(server.requests)
    result = []
    for answer in requests:
        if answer.retry_after is not None:
            later = [other.at for other in requests if other.at > answer.answered_at]
            if later:
                result.append(min(later) - answer.answered_at - float(answer.retry_after))
    return result


def test_binance_fault_sequence_alerts_every_record_once(
    payalert_daemon, binance, bot_api, reliability
) -> None:
    started = time.monotonic()
    server, market = binance, Market(binance)
    config = server.source_config(backfill="1h", request_timeout=CLIENT_TIMEOUT)
    daemon: DaemonProcess = payalert_daemon.start(
        sources={"bn": config},
        notifiers={"tg": telegram_section(bot_api, [CHAT], rate_limits=QUICK_PACE)},
        settings=FAST_RETRY,
    )

    def alerted() -> Counter[str]:
        return Counter(alert.payment.external_id for alert in daemon.alerts())

    def all_alerted() -> bool:
        wanted = set(market.expected)
        return wanted <= set(alerted()) and wanted <= set(received_ids(bot_api, CHAT))

    def health() -> tuple[int, dict[str, Any]]:
        response = daemon.health()
        return response.status, response.json()

    market.arrive("start")
    daemon.wait_for(all_alerted, timeout=30)
    health_during: dict[str, int] = {}
    for label, fault, status in FAULTS:
        market.arrive(f"before-{label}")
        seen = len(server.requests)
        server.script("*", fault)
        if status:
            daemon.wait_for(lambda s=status, n=seen: any(r.status == s for r in server.requests[n:]), 30)
        else:
            daemon.wait_for(lambda: "no answer within" in (health()[1]["sources"]["bn"]["last_error"] or ""))
        market.arrive(f"during-{label}")
        if label == "418":
            daemon.wait_for(lambda: health()[0] == 503, timeout=10)  # the ban shows while it lasts
        health_during[label] = health()[0]
        daemon.wait_for(all_alerted, timeout=40)
    # Three more complete polls: a record alerted twice would show by then.
    polls = len([r for r in server.requests_to(PAY) if r.status == 200])
    daemon.wait_for(lambda: len([r for r in server.requests_to(PAY) if r.status == 200]) >= polls + 3)
    daemon.wait_for(lambda: health()[1]["deliveries"]["pending"] == 0)
    final_status, final = health()
    wall = time.monotonic() - started

    recorded = alerted()
    chat = Counter(received_ids(bot_api, CHAT))
    counts = tally(market.expected, recorded.elements())
    early = early_requests(server)
    waited = waits_kept(server)
    statuses = Counter(request.status for request in server.requests)
    reliability.record_tally(
        "binance: -1021, 429, 418, 5xx, timeout in turn",
        counts,
        note=(
            f"{len(market.expected)} records (deposit, P2P, Pay); answers {dict(sorted(statuses.items()))}; "
            f"requests before a Retry-After ran out: {len(early)}; next request "
            f"{min(waited, default=0) * 1000:.0f}-{max(waited, default=0) * 1000:.0f} ms after each wait; "
            f"/health after each fault: {health_during}; telegram messages {sum(chat.values())}; "
            f"wall {wall:.1f}s"
        ),
    )

    assert counts.lost == [] and counts.duplicated == {}, recorded
    assert chat == Counter(market.expected)
    assert early == [], early
    assert len(waited) == 2  # the 429 and the 418 each carried a Retry-After
    assert "resynchronising server time" in daemon.output()
    assert health_during["418"] == 503
    assert final_status == 200 and final["status"] == "ok"
    assert final["sources"]["bn"]["healthy"] and final["sources"]["bn"].get("connected") is not False
