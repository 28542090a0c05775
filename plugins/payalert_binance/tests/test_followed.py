"""Unfinished records followed by id: the cursor moves on, and a poll costs O(new + followed clusters).

Real client, real test server, in-memory store. ``overlap: 0s`` makes the poll's own window start
right after its cursor, so a record read once is re-read only because it is followed.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

from payalert_binance.config import BinanceConfig
from payalert_binance.source import BinanceSource
from payalert_testing import MemorySourceRuntime
from payalert_testing.binance import DEPOSITS, P2P, BinanceTestServer, deposit_record, p2p_record

MINUTE = 60_000
DAY = 86_400_000
DEPOSITS_ONLY = {"p2p": False, "pay": False, "overlap": "0s"}


class Polling:
    """One running source, polled on demand, with the requests each poll made."""

    def __init__(self, server: BinanceTestServer, runtime: MemorySourceRuntime, **options: Any) -> None:
        self.server = server
        self.runtime = runtime
        config = BinanceConfig.model_validate(server.source_config(**options))
        self.source = BinanceSource("bn", config, runtime)

    async def __aenter__(self) -> Polling:
        await self.source.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.source.close()

    async def poll(self, path: str = DEPOSITS) -> int:
        """Poll once; the number of requests it sent to ``path``."""
        await asyncio.sleep(0.002)  # a poll in the same millisecond as the last has no window to read
        # The source reads up to its own estimate of the server clock, which a slow time sync can
        # leave a few milliseconds behind: wait until it has passed what the server lists now.
        listed_until = self.server.now_ms()
        while self.source.api.now_ms() <= listed_until:
            await asyncio.sleep(0.002)
        before = len(self.server.requests_to(path))
        await self.source.poll()
        return len(self.server.requests_to(path)) - before


async def soon(server: BinanceTestServer) -> int:
    """A time just ahead of the server clock, once the clock has passed it (records dated then are listed)."""
    at = server.now_ms() + 5
    while server.now_ms() <= at:
        await asyncio.sleep(0.005)
    return at


def ids(runtime: MemorySourceRuntime) -> list[str]:
    return [payment.external_id for payment in runtime.payments()]


async def test_a_deposit_pending_across_many_polls_alerts_twice_and_costs_the_same_as_history_grows(
    async_binance_server, new_runtime
):
    server, runtime = async_binance_server, new_runtime()
    async with Polling(server, runtime, **DEPOSITS_ONLY, deposits={"pending": True}) as polling:
        await polling.poll()  # first run: the cursor starts now
        quiet = await polling.poll()
        inserted = await soon(server)
        server.add_deposits(deposit_record("slow", status=0, insert_time=inserted))
        await polling.poll()
        assert ids(runtime) == ["deposit-pending:slow"]
        costs = []
        for batch in range(4):
            history = [inserted - MINUTE * (batch * 2_500 + i + 1) for i in range(2_500)]
            server.add_deposits(
                *(deposit_record(f"h{batch}-{i}", insert_time=t) for i, t in enumerate(history))
            )
            costs.append(await polling.poll())
            assert runtime.state["deposits"]["since"] > inserted  # the cursor does not wait for it
            assert runtime.state["deposits"]["tracked"] == {"slow": inserted}
        assert costs == [quiet + 1] * 4  # its own window, and one re-read of the deposit by id
        assert ids(runtime) == ["deposit-pending:slow"]
        server.update_deposit("slow", status=1)
        await polling.poll()
        assert ids(runtime) == ["deposit-pending:slow", "deposit:slow"]
        assert await polling.poll() == quiet  # credited: no longer followed
    assert ids(runtime) == ["deposit-pending:slow", "deposit:slow"]
    pending, credited = runtime.payments()
    assert pending.amount is None and credited.amount == Decimal("25.5")
    assert pending.identity == credited.identity == "deposit:slow"
    assert runtime.health.info["deposits_followed"] == 0


async def test_an_open_p2p_sell_is_one_warning_then_one_completion(async_binance_server, new_runtime):
    server, runtime = async_binance_server, new_runtime()
    options = {"deposits": False, "pay": False, "overlap": "0s"}
    p2p = {"statuses": ["BUYER_PAYED", "COMPLETED"], "trade_types": ["SELL"]}
    order = "8" * 20
    async with Polling(server, runtime, **options, p2p=p2p) as polling:
        await polling.poll(P2P)
        created = await soon(server)
        server.add_p2p_orders(p2p_record(order, status="TRADING", create_time=created))
        for status in ("TRADING", "BUYER_PAYED", "COMPLETED"):
            server.update_p2p_order(order, orderStatus=status)
            for _ in range(3):
                await polling.poll(P2P)
            followed = runtime.state["p2p"].get("tracked", {})
            assert runtime.state["p2p"]["since"] > created
            assert followed == ({} if status == "COMPLETED" else {order: created})
        assert await polling.poll(P2P) == 1  # completed: only the poll's own window
    assert ids(runtime) == [f"p2p:{order}:BUYER_PAYED", f"p2p:{order}"]
    warning, completed = runtime.payments()
    assert warning.amount is None and "check your bank before releasing" in warning.title
    assert completed.amount is not None and warning.identity == completed.identity


async def test_fifty_pending_deposits_at_close_times_are_re_read_in_one_request(
    async_binance_server, new_runtime
):
    server, runtime = async_binance_server, new_runtime()
    async with Polling(server, runtime, **DEPOSITS_ONLY) as polling:
        await polling.poll()
        first = await soon(server)
        server.add_deposits(*(deposit_record(f"p{i}", status=0, insert_time=first + i) for i in range(50)))
        await soon(server)
        await asyncio.sleep(0.06)  # past the last of them
        await polling.poll()
        assert len(runtime.state["deposits"]["tracked"]) == 50
        assert [await polling.poll() for _ in range(3)] == [2, 2, 2]  # the window and one re-read
        for i in range(25):
            server.update_deposit(f"p{i}", status=1)
        assert await polling.poll() == 2
        assert sorted(ids(runtime)) == sorted(f"deposit:p{i}" for i in range(25))
        for i in range(25, 50):
            server.update_deposit(f"p{i}", status=1)
        assert await polling.poll() == 2
        assert await polling.poll() == 1
    assert len(ids(runtime)) == len(set(ids(runtime))) == 50
    assert "tracked" not in runtime.state["deposits"]


async def test_requests_grow_with_clusters_of_times_not_with_records(async_binance_server, new_runtime):
    server, runtime = async_binance_server, new_runtime()
    now = server.now_ms()
    days = (1, 2, 3)
    server.add_deposits(
        *(
            deposit_record(f"d{day}-{i}", status=0, insert_time=now - day * DAY + i * MINUTE)
            for day in days
            for i in range(10)
        )
    )
    async with Polling(server, runtime, **DEPOSITS_ONLY) as polling:
        await polling.poll()  # first run: pending since before it, so followed (never alerted as new)
        assert len(runtime.state["deposits"]["tracked"]) == 30
        server.requests.clear()
        assert await polling.poll() == 1 + len(days)
        windows = [
            (int(r.params["startTime"]), int(r.params["endTime"])) for r in server.requests_to(DEPOSITS)
        ]
        clusters = [(now - day * DAY, now - day * DAY + 9 * MINUTE) for day in sorted(days, reverse=True)]
        assert windows[: len(days)] == clusters  # then the poll's own window
        server.update_deposit("d2-4", status=1)
        await polling.poll()
    assert ids(runtime) == ["deposit:d2-4"]
    assert len(runtime.state["deposits"]["tracked"]) == 29


async def test_a_cluster_with_more_records_than_a_page_is_paged(async_binance_server, new_runtime):
    server, runtime = async_binance_server, new_runtime()
    now = server.now_ms()
    ends = now - 2 * DAY
    server.add_deposits(deposit_record("early", status=0, insert_time=ends - 30 * MINUTE))
    server.add_deposits(*(deposit_record(f"h{i}", insert_time=ends - i * 1000) for i in range(1_500)))
    server.add_deposits(deposit_record("late", status=0, insert_time=ends))
    async with Polling(server, runtime, **DEPOSITS_ONLY) as polling:
        await polling.poll()
        server.update_deposit("early", status=1)
        server.update_deposit("late", status=1)
        server.requests.clear()
        await polling.poll()
    offsets = [r.params["offset"] for r in server.requests_to(DEPOSITS)]
    assert offsets == ["0", "1000", "0"]  # the cluster's two pages, then the poll's own window
    assert sorted(ids(runtime)) == ["deposit:early", "deposit:late"]


async def test_a_deposit_pending_past_unfinished_max_age_is_no_longer_followed(
    async_binance_server, new_runtime, caplog
):
    server, runtime = async_binance_server, new_runtime()
    server.add_deposits(deposit_record("stuck", status=0, insert_time=server.now_ms() - 30 * MINUTE))
    options = {**DEPOSITS_ONLY, "unfinished_max_age": "1h"}
    async with Polling(server, runtime, **options) as polling:
        await polling.poll()
    assert list(runtime.state["deposits"]["tracked"]) == ["stuck"]
    server.clock_offset_ms = 31 * MINUTE  # the deposit is now older than unfinished_max_age
    with caplog.at_level(logging.WARNING):
        async with Polling(server, runtime, **options) as polling:
            assert await polling.poll() == 2  # one last look, then it is dropped
            assert await polling.poll() == 1
    assert "tracked" not in runtime.state["deposits"]
    assert "deposits: stuck is still unfinished after unfinished_max_age; no longer followed" in caplog.text
    assert ids(runtime) == []


async def test_a_cursor_saved_holding_at_a_pending_deposit_still_loads(async_binance_server, new_runtime):
    server, runtime = async_binance_server, new_runtime()
    async with Polling(server, runtime, **DEPOSITS_ONLY) as polling:
        await polling.poll()
    inserted = await soon(server)
    server.add_deposits(deposit_record("held", status=0, insert_time=inserted))
    # As saved by a version whose cursor stopped at the oldest pending deposit.
    runtime.state["deposits"] = {"since": inserted, "floor": runtime.state["deposits"]["floor"]}
    await soon(server)
    async with Polling(server, runtime, **DEPOSITS_ONLY) as polling:
        await polling.poll()
        assert runtime.state["deposits"]["tracked"] == {"held": inserted}
        assert runtime.state["deposits"]["since"] > inserted
        server.update_deposit("held", status=1)
        await polling.poll()
        await polling.poll()
    assert ids(runtime) == ["deposit:held"]


async def test_an_unreadable_list_of_followed_records_is_rebuilt_by_reading_back(
    async_binance_server, new_runtime
):
    server, runtime = async_binance_server, new_runtime()
    async with Polling(server, runtime, **DEPOSITS_ONLY) as polling:
        await polling.poll()
        inserted = await soon(server)
        server.add_deposits(deposit_record("kept", status=0, insert_time=inserted))
        await polling.poll()
        await polling.poll()
        runtime.state["deposits"]["tracked"] = "damaged"
        await polling.poll()  # reads back unfinished_max_age from its cursor: finds it pending again
        assert runtime.state["deposits"]["tracked"] == {"kept": inserted}
        server.update_deposit("kept", status=1)
        await polling.poll()
        await polling.poll()
    assert ids(runtime) == ["deposit:kept"]
