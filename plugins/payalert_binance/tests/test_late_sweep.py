"""The late sweep: deposits Binance lists long after their insertTime (real client, real test server)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from payalert_binance.config import BinanceConfig
from payalert_binance.source import BinanceSource
from payalert_testing.binance import DEPOSITS, BinanceTestServer, deposit_record

MINUTE = 60_000
HOUR = 60 * MINUTE
#: Deposits only, from a first start a day back: the late deposits below are dated after it.
OPTIONS = {"p2p": False, "pay": False, "backfill": "1d"}


def make_source(server: BinanceTestServer, runtime: Any, **overrides: Any) -> BinanceSource:
    config = BinanceConfig.model_validate(server.source_config(**{**OPTIONS, **overrides}))
    return BinanceSource("bn", config, runtime)


async def poll_once(server: BinanceTestServer, runtime: Any, **overrides: Any) -> None:
    """One daemon run: a fresh source (as after a restart), started, polled once, closed."""
    source = make_source(server, runtime, **overrides)
    await source.start()
    try:
        await source.poll()
    finally:
        await source.close()


def an_hour_passes(runtime: Any) -> None:
    """Date the last sweep an hour earlier, as if the default late_sweep_interval had gone by."""
    runtime.state["deposits"]["swept"] -= HOUR


def ids(runtime: Any) -> list[str]:
    return [payment.external_id for payment in runtime.payments()]


def windows_read(server: BinanceTestServer) -> list[tuple[int, int]]:
    return [(int(r.params["startTime"]), int(r.params["endTime"])) for r in server.requests_to(DEPOSITS)]


async def test_a_deposit_listed_31_minutes_late_is_alerted_once_by_the_next_sweep(
    async_binance_server, new_runtime
):
    server = async_binance_server
    runtime = new_runtime()
    await poll_once(server, runtime)  # first run: the cursor starts now
    await poll_once(server, runtime)
    inserted = server.now_ms() - 31 * MINUTE
    server.add_deposits(deposit_record("slow-network", insert_time=inserted))
    await poll_once(server, runtime)
    assert ids(runtime) == []  # 31 minutes is past the 10-minute overlap: no poll reads it again
    an_hour_passes(runtime)
    await poll_once(server, runtime)
    assert ids(runtime) == ["deposit:slow-network"]
    assert runtime.counts["listed_late"] == 1
    for _ in range(2):
        an_hour_passes(runtime)
        await poll_once(server, runtime)
    assert ids(runtime) == ["deposit:slow-network"]


async def test_a_deposit_alerted_in_time_is_not_alerted_again_by_the_sweep(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    options = {"overlap": "0s", "deposits": {"late_sweep_interval": "1ms"}}  # every poll sweeps
    await poll_once(server, runtime, **options)
    inserted = server.now_ms() + 5
    server.add_deposits(deposit_record("on-time", insert_time=inserted))
    while server.now_ms() <= inserted:  # let the server clock pass it, so the next poll lists it
        await asyncio.sleep(0.005)
    await poll_once(server, runtime, **options)
    (alerted,) = ids(runtime)
    server.requests.clear()
    for _ in range(3):
        await poll_once(server, runtime, **options)
    assert ids(runtime) == [alerted]
    swept_over_it = [(low, high) for low, high in windows_read(server) if low <= inserted <= high]
    assert len(swept_over_it) == 3  # each sweep read the deposit again; dedupe kept it to one alert
    assert "listed_late" not in runtime.counts


async def test_a_pending_deposit_listed_late_is_followed_by_id_until_credited(
    async_binance_server, new_runtime
):
    server = async_binance_server
    runtime = new_runtime()
    options = {"deposits": {"pending": True}}
    await poll_once(server, runtime, **options)
    server.add_deposits(deposit_record("late-pending", status=0, insert_time=server.now_ms() - 2 * HOUR))
    an_hour_passes(runtime)
    await poll_once(server, runtime, **options)
    assert ids(runtime) == ["deposit-pending:late-pending"]
    assert list(runtime.state["deposits"]["tracked"]) == ["late-pending"]
    server.update_deposit("late-pending", status=1)
    await poll_once(server, runtime, **options)  # no sweep due: the re-check by id finds it credited
    assert ids(runtime) == ["deposit-pending:late-pending", "deposit:late-pending"]
    assert "tracked" not in runtime.state["deposits"]


async def test_a_restart_across_a_sweep_loses_nothing_and_repeats_nothing(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await poll_once(server, runtime)
    now = server.now_ms()
    server.add_deposits(
        deposit_record("late-1", insert_time=now - 45 * MINUTE),
        deposit_record("late-2", insert_time=now - 3 * HOUR),
    )
    an_hour_passes(runtime)
    swept_before = runtime.state["deposits"]["swept"]
    runtime.crash_after = runtime.ingests + 2  # the poll's window commits; the sweep's never does
    with pytest.raises(RuntimeError, match="simulated crash"):
        await poll_once(server, runtime)
    assert ids(runtime) == [] and runtime.state["deposits"]["swept"] == swept_before
    runtime.crash_after = None
    await poll_once(server, runtime)  # the restarted daemon sweeps again, whole
    assert sorted(ids(runtime)) == ["deposit:late-1", "deposit:late-2"]
    assert runtime.state["deposits"]["swept"] > swept_before
    server.requests.clear()
    await poll_once(server, runtime)  # the finished sweep was stored: the next start does not repeat it
    assert len(server.requests_to(DEPOSITS)) == 1
    assert sorted(ids(runtime)) == ["deposit:late-1", "deposit:late-2"]


async def test_the_sweep_never_reaches_before_the_first_start(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await poll_once(server, runtime, backfill="0s")
    floor = runtime.state["deposits"]["floor"] - 2 * HOUR
    runtime.state["deposits"]["floor"] = floor  # as if payalert first started two hours ago
    server.add_deposits(
        deposit_record("history", insert_time=floor - MINUTE),
        deposit_record("late", insert_time=floor + MINUTE),
    )
    an_hour_passes(runtime)
    server.requests.clear()
    await poll_once(server, runtime, backfill="0s")
    assert ids(runtime) == ["deposit:late"]  # listed late after the start: alerted; before it: history
    (_, swept) = windows_read(server)  # the poll's window, then the sweep's, which starts at the floor
    assert swept[0] == floor


async def test_a_sweep_costs_one_request_per_1000_deposits_in_its_window_once_per_interval(
    async_binance_server, new_runtime
):
    server = async_binance_server
    runtime = new_runtime()
    await poll_once(server, runtime, backfill="10d")
    now = server.now_ms()
    stored = [now - 2 * HOUR - i * MINUTE for i in range(2_500)]  # all older than the overlap
    server.add_deposits(*(deposit_record(f"h{i}", insert_time=t) for i, t in enumerate(stored)))
    an_hour_passes(runtime)
    await poll_once(server, runtime, backfill="10d")
    assert len(runtime.events) == 2_500  # listed late, all of them: this sweep alerts them
    server.requests.clear()
    an_hour_passes(runtime)
    await poll_once(server, runtime, backfill="10d")
    offsets = [r.params["offset"] for r in server.requests_to(DEPOSITS)]
    assert offsets == ["0"] + [str(page * 1000) for page in range(math.ceil(2_500 / 1000))]
    server.requests.clear()
    await poll_once(server, runtime, backfill="10d")  # within the hour: the poll alone, one request
    assert len(server.requests_to(DEPOSITS)) == 1
    assert len(runtime.events) == 2_500


async def test_late_window_zero_switches_the_sweep_off(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    options = {"deposits": {"late_window": "0s", "late_sweep_interval": "1ms"}}
    await poll_once(server, runtime, **options)
    server.add_deposits(deposit_record("unseen", insert_time=server.now_ms() - 31 * MINUTE))
    server.requests.clear()
    await poll_once(server, runtime, **options)
    assert ids(runtime) == [] and len(server.requests_to(DEPOSITS)) == 1
