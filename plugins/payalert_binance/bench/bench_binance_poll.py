"""Poll cost of the binance source with 10,000 historical records per feed vs an empty history.

Each scenario: a fresh Binance test server on 127.0.0.1, a first poll that sets the cursors, then
one new record per feed and ``POLLS`` measured polls (real python-binance client, real HTTP, an
in-memory store). A poll reads from its cursor (minus the overlap), so its cost must not grow with
the history behind it: the request counts must be equal and the wall-time ratio near 1.

Run: ``python plugins/payalert_binance/bench/bench_binance_poll.py`` (exit 1 if requests differ).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import time

from payalert_binance.config import BinanceConfig
from payalert_binance.source import BinanceSource
from payalert_testing import MemorySourceRuntime
from payalert_testing.benchmarks import report_row
from payalert_testing.binance import BinanceTestServer, deposit_record, p2p_record, pay_record

HISTORY = 10_000
POLLS = 15
DAY_MS = 86_400_000


def _history(server: BinanceTestServer, count: int) -> None:
    """``count`` records per feed, spread evenly over the 90 days before now."""
    now = server.now_ms()
    step = 90 * DAY_MS // max(count, 1)
    times = [now - 1000 - i * step for i in range(count)]
    server.add_deposits(*(deposit_record(f"h{i}", insert_time=t) for i, t in enumerate(times)))
    server.add_p2p_orders(*(p2p_record(f"1{i:019d}", create_time=t) for i, t in enumerate(times)))
    server.add_pay_transactions(*(pay_record(f"H{i}", transaction_time=t) for i, t in enumerate(times)))


async def _scenario(history: int) -> tuple[float, float]:
    """Median wall seconds and mean requests of one poll with ``history`` old records per feed."""
    server = BinanceTestServer()
    await server.start_async()
    runtime = MemorySourceRuntime()
    config = BinanceConfig.model_validate(server.source_config())
    source = BinanceSource("bench", config, runtime)
    try:
        _history(server, history)
        await source.start()
        await source.poll()  # first run: sets the cursors at "now"
        walls: list[float] = []
        requests: list[int] = []
        for round_number in range(POLLS):
            stamp = server.now_ms()
            server.add_deposits(deposit_record(f"new{round_number}", insert_time=stamp))
            server.add_p2p_orders(p2p_record(f"9{round_number:019d}", create_time=stamp))
            server.add_pay_transactions(pay_record(f"N{round_number}", transaction_time=stamp))
            await asyncio.sleep(0.002)  # let the server clock pass the new records' time
            before = len(server.requests)
            started = time.perf_counter()
            await source.poll()
            walls.append(time.perf_counter() - started)
            requests.append(len(server.requests) - before)
        expected = {f"deposit:new{i}" for i in range(POLLS)}
        if not expected <= set(runtime.events):
            raise AssertionError("a new record was not picked up")
        return statistics.median(walls), statistics.mean(requests)
    finally:
        await source.close()
        await server.stop_async()


async def _run() -> int:
    empty_wall, empty_requests = await _scenario(0)
    full_wall, full_requests = await _scenario(HISTORY)
    print(f"binance poll, empty history:        {empty_wall * 1000:7.1f} ms, {empty_requests:.1f} requests")
    print(f"binance poll, {HISTORY:,} per feed:     {full_wall * 1000:7.1f} ms, {full_requests:.1f} requests")
    print(
        f"ratio (history / empty): wall {full_wall / empty_wall:.2f}x, requests {full_requests / empty_requests:.2f}x"
    )
    report_row(
        f"Binance: one poll with {HISTORY:,} historical records per feed and 1 new",
        f"{full_wall * 1000:.1f} ms, {full_requests:.0f} requests",
        f"empty history: {empty_wall * 1000:.1f} ms, {empty_requests:.0f} requests",
        f"{full_wall / empty_wall:.2f} (time), {full_requests / empty_requests:.2f} (requests)",
        "≤ 1.5×",
        full_wall / empty_wall <= 1.5 and full_requests == empty_requests,
    )
    return 0 if full_requests == empty_requests else 1


def main() -> int:
    """Run both scenarios and print their cost and ratio; 1 when the request count grew."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(_run())


if __name__ == "__main__":
    sys.exit(main())
