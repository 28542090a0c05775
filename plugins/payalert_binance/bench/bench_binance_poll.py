"""Poll cost of the binance source with 10,000 historical records per feed vs an empty history.

Each scenario: a fresh Binance test server on 127.0.0.1, a first poll that sets the cursors, then
one new record per feed and ``POLLS`` measured polls (real python-binance client, real HTTP, an
in-memory store). A poll reads from its cursor (minus the overlap), so its cost must not grow with
the history behind it: the request counts must be equal and the wall-time ratio near 1.

The second row prices the hourly late sweep: 10,000 deposits already stored inside its 89-day
window (a busy account), and an hour of polls at the default 60 s interval with one sweep, against
the same hour without it. The sweep costs one request per 1,000 deposits in its window, once per
``late_sweep_interval``; the target is that it at most doubles the hour's polling time even for
such an account. The first sweep after a start (nothing remembered yet, so every record is built
and dropped by dedupe id, here by the in-memory runtime) is printed too: it is paid once per start.

The third row prices a pending deposit: with the same 10,000 records per feed, a deposit the poll
read pending three days ago is followed by its id, so each poll re-reads it with one narrow request
instead of re-reading the three days behind it. Its baseline is the same scenario whose deposit
was credited before the measured polls (nothing pending), built the same way in the same run.

Run: ``python plugins/payalert_binance/bench/bench_binance_poll.py`` (exit 1 if requests differ).
"""

from __future__ import annotations

import asyncio
import itertools
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
HOUR_MS = 3_600_000
SWEPT = 10_000  # deposits already stored inside the late sweep's window
POLLS_PER_HOUR = 60  # the default interval
SWEEP_REQUESTS = SWEPT // 1000 + 1  # offset pages of 1,000, ended by a short page
PENDING_FOR_MS = 3 * DAY_MS  # how long the pending deposit has been pending when measured
ORDER_NUMBERS = itertools.count(1)  # new P2P orders' numbers, unique across the scenarios


def _history(server: BinanceTestServer, count: int) -> None:
    """``count`` records per feed, spread evenly over the 90 days before now."""
    now = server.now_ms()
    step = 90 * DAY_MS // max(count, 1)
    times = [now - 1000 - i * step for i in range(count)]
    server.add_deposits(*(deposit_record(f"h{i}", insert_time=t) for i, t in enumerate(times)))
    server.add_p2p_orders(*(p2p_record(f"1{i:019d}", create_time=t) for i, t in enumerate(times)))
    server.add_pay_transactions(*(pay_record(f"H{i}", transaction_time=t) for i, t in enumerate(times)))


async def _measured_polls(
    server: BinanceTestServer, source: BinanceSource, runtime: MemorySourceRuntime, tag: str, sweep: bool
) -> tuple[float, float]:
    """Median wall seconds and mean requests of ``POLLS`` polls, each after one new record per feed.

    With ``sweep``, each poll finds its last late sweep an hour old, so it sweeps too.
    """
    walls: list[float] = []
    requests: list[int] = []
    for round_number in range(POLLS):
        stamp = server.now_ms()
        server.add_deposits(deposit_record(f"{tag}{round_number}", insert_time=stamp))
        server.add_p2p_orders(p2p_record(f"9{next(ORDER_NUMBERS):019d}", create_time=stamp))
        server.add_pay_transactions(pay_record(f"N{tag}{round_number}", transaction_time=stamp))
        await asyncio.sleep(0.002)  # let the server clock pass the new records' time
        if sweep:
            runtime.state["deposits"]["swept"] -= HOUR_MS
        before = len(server.requests)
        started = time.perf_counter()
        await source.poll()
        walls.append(time.perf_counter() - started)
        requests.append(len(server.requests) - before)
    if not {f"deposit:{tag}{i}" for i in range(POLLS)} <= set(runtime.events):
        raise AssertionError("a new record was not picked up")
    return statistics.median(walls), statistics.mean(requests)


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
        return await _measured_polls(server, source, runtime, "new", sweep=False)
    finally:
        await source.close()
        await server.stop_async()


async def _pending_scenario(credit_first: bool) -> tuple[float, float]:
    """(wall, requests) of a poll with a deposit pending for three days (credited first: none pending)."""
    server = BinanceTestServer()
    await server.start_async()
    runtime = MemorySourceRuntime()
    # The first run reads PENDING_FOR back (backfill), so its own window reads the deposit pending.
    config = BinanceConfig.model_validate(server.source_config(backfill=f"{PENDING_FOR_MS}ms"))
    source = BinanceSource("bench", config, runtime)
    try:
        _history(server, HISTORY)
        stamp = server.now_ms() - PENDING_FOR_MS + 60_000
        server.add_deposits(deposit_record("pending", status=0, insert_time=stamp))
        await source.start()
        await source.poll()  # first run: alerts the last three days, follows the pending deposit
        if runtime.state["deposits"].get("tracked") != {"pending": stamp}:
            raise AssertionError("the pending deposit is not followed")
        if credit_first:
            server.update_deposit("pending", status=1)
            await source.poll()
            if "deposit:pending" not in runtime.events or runtime.state["deposits"].get("tracked"):
                raise AssertionError("the credited deposit was not alerted, or is still followed")
        return await _measured_polls(server, source, runtime, "pending", sweep=False)
    finally:
        await source.close()
        await server.stop_async()


async def _sweep_scenario() -> tuple[tuple[float, float], tuple[float, float], float]:
    """(wall, requests) of a poll without, then with the late sweep; then a first sweep after a start."""
    server = BinanceTestServer()
    await server.start_async()
    runtime = MemorySourceRuntime()
    config = BinanceConfig.model_validate(server.source_config(backfill="89d"))
    source = BinanceSource("bench", config, runtime)
    try:
        now = server.now_ms()
        step = (88 * DAY_MS) // SWEPT  # all inside the sweep's window for the whole run
        server.add_deposits(
            *(deposit_record(f"old{i}", insert_time=now - HOUR_MS - i * step) for i in range(SWEPT))
        )
        await source.start()
        await source.poll()  # first run with backfill: every deposit alerted and stored once
        plain = await _measured_polls(server, source, runtime, "plain", sweep=False)
        swept = await _measured_polls(server, source, runtime, "swept", sweep=True)
        restarted = BinanceSource("bench", config, runtime)
        try:
            await restarted.start()
            runtime.state["deposits"]["swept"] -= HOUR_MS
            started = time.perf_counter()
            await restarted.poll()
            cold = time.perf_counter() - started
        finally:
            await restarted.close()
        if sum(key.startswith("deposit:old") for key in runtime.events) != SWEPT:
            raise AssertionError("a stored deposit was lost or stored twice")
        return plain, swept, cold
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
    settled_wall, settled_requests = await _pending_scenario(credit_first=True)
    pending_wall, pending_requests = await _pending_scenario(credit_first=False)
    extra_for_pending = pending_requests - settled_requests
    print(
        f"binance poll, a deposit pending 3 d: {pending_wall * 1000:7.1f} ms, {pending_requests:.1f} requests"
    )
    print(
        f"binance poll, none pending:         {settled_wall * 1000:7.1f} ms, {settled_requests:.1f} requests"
    )
    report_row(
        f"Binance: one poll with a pending deposit open (3 days) and {HISTORY:,} records of history per feed",
        f"{pending_wall * 1000:.1f} ms, {pending_requests:.0f} requests",
        f"none pending: {settled_wall * 1000:.1f} ms, {settled_requests:.0f} requests",
        f"{pending_wall / settled_wall:.2f} (time), {pending_requests / settled_requests:.2f} (requests)",
        "≤ 1.5× time; +1 request (1 per cluster of followed times)",
        pending_wall / settled_wall <= 1.5 and extra_for_pending == 1,
    )
    (poll_wall, poll_requests), (swept_wall, swept_requests), cold_wall = await _sweep_scenario()
    hour_wall, hour_requests = POLLS_PER_HOUR * poll_wall, POLLS_PER_HOUR * poll_requests
    with_sweep_wall = hour_wall - poll_wall + swept_wall
    with_sweep_requests = hour_requests - poll_requests + swept_requests
    extra_requests = swept_requests - poll_requests
    print(f"binance poll, no sweep:             {poll_wall * 1000:7.1f} ms, {poll_requests:.1f} requests")
    print(
        f"binance poll + sweep of {SWEPT:,}:     {swept_wall * 1000:7.1f} ms, {swept_requests:.1f} requests"
    )
    print(f"the same, first sweep after a start:  {cold_wall * 1000:7.1f} ms")
    report_row(
        f"Binance: an hour of polls (60s) with the hourly late sweep over {SWEPT:,} stored deposits",
        f"{with_sweep_wall * 1000:.0f} ms, {with_sweep_requests:.0f} requests",
        f"the hour without the sweep: {hour_wall * 1000:.0f} ms, {hour_requests:.0f} requests",
        f"{with_sweep_wall / hour_wall:.2f} (time), {with_sweep_requests / hour_requests:.2f} (requests)",
        f"≤ 2× time; +{SWEEP_REQUESTS} requests (1 per 1,000 deposits)",
        with_sweep_wall / hour_wall <= 2 and extra_requests == SWEEP_REQUESTS,
    )
    as_designed = extra_requests == SWEEP_REQUESTS and extra_for_pending == 1
    return 0 if full_requests == empty_requests and as_designed else 1


def main() -> int:
    """Run the scenarios and print their cost and ratios; 1 when a request count is not as designed."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(_run())


if __name__ == "__main__":
    sys.exit(main())
