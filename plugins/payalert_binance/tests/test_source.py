"""The source's polling logic in-process (real client, real test server, in-memory store)."""

from __future__ import annotations

from typing import Any

import pytest
from payalert_binance.config import BinanceConfig
from payalert_binance.source import BinanceSource
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

from payalert_core import RetryLater, StartupError

DAY = 86_400_000


def make_source(server: BinanceTestServer, runtime: Any, **overrides) -> BinanceSource:
    config = BinanceConfig.model_validate(server.source_config(**overrides))
    return BinanceSource("bn", config, runtime)


async def run_polls(source: BinanceSource, count: int = 1) -> None:
    await source.start()
    try:
        for _ in range(count):
            await source.poll()
    finally:
        await source.close()


#: More than a started source's estimate of the server's clock can trail it by (half its sync's
#: round trip, which a loaded machine stretches to tens of milliseconds).
CLOCK_MARGIN_MS = 5_000


def move_clock_past(server: BinanceTestServer, ms: int) -> None:
    """Move the server's clock ``CLOCK_MARGIN_MS`` past ``ms``: a source started next (it syncs
    its clock at start) reads records dated up to ``ms``, however slow that sync's answer was."""
    server.clock_offset_ms += max(0, ms - server.now_ms()) + CLOCK_MARGIN_MS


def ids(runtime: Any) -> list[str]:
    return [payment.external_id for payment in runtime.payments()]


async def test_first_run_starts_now_then_alerts_new_records(async_binance_server, new_runtime):
    server = async_binance_server
    now = server.now_ms()
    server.add_deposits(deposit_record("old", insert_time=now - 60_000))
    server.add_p2p_orders(p2p_record("20000000000000000001", create_time=now - 60_000))
    server.add_pay_transactions(pay_record("P-old", transaction_time=now - 60_000))
    runtime = new_runtime()
    source = make_source(server, runtime)
    await run_polls(source)
    assert ids(runtime) == []
    assert set(runtime.state) == {"deposits", "p2p", "pay"}
    later = server.now_ms() + 5
    server.add_deposits(deposit_record("new", insert_time=later))
    server.add_p2p_orders(p2p_record("20000000000000000002", create_time=later))
    server.add_pay_transactions(pay_record("P-new", transaction_time=later))
    move_clock_past(server, later)
    await run_polls(make_source(server, runtime), count=1)
    assert sorted(ids(runtime)) == ["deposit:new", "p2p:20000000000000000002", "pay:P-new"]


async def test_backfill_alerts_the_recent_past_once(async_binance_server, new_runtime):
    server = async_binance_server
    now = server.now_ms()
    server.add_deposits(
        deposit_record("3d", insert_time=now - 3 * DAY), deposit_record("1d", insert_time=now - DAY)
    )
    server.add_pay_transactions(pay_record("P-1d", transaction_time=now - DAY))
    runtime = new_runtime()
    await run_polls(make_source(server, runtime, backfill="2d", p2p=False), count=1)
    await run_polls(make_source(server, runtime, backfill="2d", p2p=False))
    assert sorted(ids(runtime)) == ["deposit:1d", "pay:P-1d"]


async def test_long_downtime_is_caught_up_window_by_window(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await run_polls(make_source(server, runtime))
    # Pretend the daemon was down for 200 days: move every cursor back.
    now = server.now_ms()
    for key in runtime.state:
        runtime.state[key] = {"since": now - 200 * DAY, "floor": now - 200 * DAY}
    times = [now - 199 * DAY, now - 110 * DAY, now - 89 * DAY, now - 31 * DAY, now - 29 * DAY, now - 1000]
    server.add_deposits(*(deposit_record(f"d{i}", insert_time=t) for i, t in enumerate(times)))
    server.add_p2p_orders(*(p2p_record(f"2{i:019d}", create_time=t) for i, t in enumerate(times)))
    server.add_pay_transactions(*(pay_record(f"P{i}", transaction_time=t) for i, t in enumerate(times)))
    server.requests.clear()
    await run_polls(make_source(server, runtime))
    assert sorted(ids(runtime)) == sorted(
        [f"deposit:d{i}" for i in range(6)]
        + [f"p2p:2{i:019d}" for i in range(6)]
        + [f"pay:P{i}" for i in range(6)]
    )
    assert all(request.status == 200 for request in server.requests)
    assert len(server.requests_to(DEPOSITS)) == 3  # 200 days in windows under 90 days
    assert len(server.requests_to(P2P)) == 2 * 7  # 30-day windows, BUY and SELL
    assert len(server.requests_to(PAY)) == 3


async def test_records_on_window_boundaries_are_all_found(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await run_polls(make_source(server, runtime, p2p=False, pay=False))
    start = server.now_ms() - 200 * DAY
    runtime.state["deposits"] = {"since": start, "floor": start}
    size = 90 * DAY - 1  # deposit windows stay under 90 days
    edges = [start, start + size - 1, start + size, start + 2 * size - 1, start + 2 * size]
    server.add_deposits(*(deposit_record(f"edge{i}", insert_time=t) for i, t in enumerate(edges)))
    await run_polls(make_source(server, runtime, p2p=False, pay=False))
    assert sorted(ids(runtime)) == [f"deposit:edge{i}" for i in range(5)]
    windows = [
        (int(r.params["startTime"]), int(r.params["endTime"])) for r in server.requests_to(DEPOSITS)[1:]
    ]
    assert windows[0] == (start, start + size - 1) and windows[1][0] == start + size


async def test_poll_cost_does_not_grow_with_history(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await run_polls(make_source(server, runtime))
    empty_poll = len(server.requests)
    await run_polls(make_source(server, runtime))
    empty_poll = len(server.requests) - empty_poll
    now = server.now_ms()
    old = [now - 60_000 * (i + 11) for i in range(10_000)]  # all older than the overlap window
    server.add_deposits(*(deposit_record(f"h{i}", insert_time=t) for i, t in enumerate(old)))
    server.add_pay_transactions(*(pay_record(f"H{i}", transaction_time=t) for i, t in enumerate(old)))
    before = len(server.requests)
    await run_polls(make_source(server, runtime))
    assert len(server.requests) - before == empty_poll
    assert ids(runtime) == []


async def test_crash_mid_catch_up_keeps_finished_windows(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await run_polls(make_source(server, runtime, p2p=False, pay=False))
    now = server.now_ms()
    runtime.state["deposits"] = {"since": now - 200 * DAY, "floor": now - 200 * DAY}
    server.add_deposits(*(deposit_record(f"d{i}", insert_time=now - (190 - 40 * i) * DAY) for i in range(5)))
    runtime.crash_after = runtime.ingests + 2  # the second window's commit never happens
    with pytest.raises(RuntimeError, match="simulated crash"):
        await run_polls(make_source(server, runtime, p2p=False, pay=False))
    after_crash = ids(runtime)
    assert after_crash and len(after_crash) < 5
    assert runtime.state["deposits"]["since"] < now - 90 * DAY  # progress of the first window kept
    runtime.crash_after = None
    await run_polls(make_source(server, runtime, p2p=False, pay=False))
    assert sorted(ids(runtime)) == [f"deposit:d{i}" for i in range(5)]
    assert ids(runtime)[: len(after_crash)] == after_crash


async def test_deposit_offset_paging(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await run_polls(make_source(server, runtime, p2p=False, pay=False))
    now = server.now_ms() + 10
    server.add_deposits(*(deposit_record(f"d{i}", insert_time=now + i % 50) for i in range(2500)))
    move_clock_past(server, now + 50)
    server.requests.clear()
    await run_polls(make_source(server, runtime, p2p=False, pay=False))
    assert len(runtime.events) == 2500
    offsets = [r.params["offset"] for r in server.requests_to(DEPOSITS)]
    assert offsets == ["0", "1000", "2000"]


async def test_p2p_paging_per_trade_type(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await run_polls(make_source(server, runtime, deposits=False, pay=False))
    now = server.now_ms() + 10
    server.add_p2p_orders(*(p2p_record(f"2{i:019d}", create_time=now + i) for i in range(250)))
    server.add_p2p_orders(p2p_record("3" * 20, trade_type="BUY", create_time=now))
    move_clock_past(server, now + 250)
    server.requests.clear()
    await run_polls(make_source(server, runtime, deposits=False, pay=False))
    assert len(runtime.events) == 251
    pages = [(r.params["tradeType"], r.params["page"], r.params["rows"]) for r in server.requests_to(P2P)]
    assert pages == [("BUY", "1", "100"), ("SELL", "1", "100"), ("SELL", "2", "100"), ("SELL", "3", "100")]


async def test_pay_window_splits_when_a_page_is_full(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await run_polls(make_source(server, runtime, deposits=False, p2p=False))
    now = server.now_ms() + 10
    server.add_pay_transactions(*(pay_record(f"P{i}", transaction_time=now + i * 3) for i in range(250)))
    move_clock_past(server, now + 750)
    await run_polls(make_source(server, runtime, deposits=False, p2p=False))
    assert len(runtime.events) == 250
    assert all(int(r.params["limit"]) <= 100 for r in server.requests_to(PAY))


async def test_pending_deposit_is_followed_by_id_while_the_cursor_moves_on(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    options = {"p2p": False, "pay": False, "overlap": "0s"}
    await run_polls(make_source(server, runtime, **options))
    inserted = server.now_ms() + 5
    server.add_deposits(deposit_record("slow", status=0, insert_time=inserted))
    move_clock_past(server, inserted)
    await run_polls(make_source(server, runtime, **options), count=1)
    assert ids(runtime) == []
    assert runtime.state["deposits"]["since"] > inserted  # no window reads it again ...
    assert runtime.state["deposits"]["tracked"] == {"slow": inserted}  # ... it is re-read by id
    server.update_deposit("slow", status=1)
    await run_polls(make_source(server, runtime, **options))
    assert ids(runtime) == ["deposit:slow"]
    assert "tracked" not in runtime.state["deposits"]


async def test_pending_alert_then_credited_alert(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    options = {"p2p": False, "pay": False, "deposits": {"pending": True}}
    await run_polls(make_source(server, runtime, **options))
    inserted = server.now_ms() + 5
    server.add_deposits(deposit_record("two-step", status=0, insert_time=inserted))
    move_clock_past(server, inserted)
    await run_polls(make_source(server, runtime, **options), count=1)
    server.update_deposit("two-step", status=6)
    await run_polls(make_source(server, runtime, **options))
    server.update_deposit("two-step", status=1)
    await run_polls(make_source(server, runtime, **options))
    assert ids(runtime) == ["deposit-pending:two-step", "deposit:two-step"]
    assert runtime.payments()[1].title.startswith("Deposit credited (cannot withdraw yet)")


async def test_open_p2p_order_alerts_when_completed(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    options = {"deposits": False, "pay": False, "overlap": "0s"}
    await run_polls(make_source(server, runtime, **options))
    created = server.now_ms() + 5
    server.add_p2p_orders(p2p_record("4" * 20, status="TRADING", create_time=created))
    move_clock_past(server, created)
    await run_polls(make_source(server, runtime, **options), count=1)
    server.update_p2p_order("4" * 20, orderStatus="COMPLETED")
    await run_polls(make_source(server, runtime, **options))
    assert ids(runtime) == ["p2p:" + "4" * 20]


async def test_stale_pending_deposit_is_not_followed(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    now = server.now_ms()
    server.add_deposits(deposit_record("stuck", status=0, insert_time=now - 3 * DAY))
    await run_polls(
        make_source(server, runtime, p2p=False, pay=False, backfill="4d", unfinished_max_age="1d")
    )
    assert runtime.state["deposits"]["since"] > now
    assert "tracked" not in runtime.state["deposits"]


async def test_late_record_inside_overlap_is_alerted(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await run_polls(make_source(server, runtime, p2p=False, pay=False, backfill="1h"))
    # Appears now, but dated 2 minutes ago (before the cursor): the 10-minute overlap re-reads it.
    server.add_deposits(deposit_record("late", insert_time=server.now_ms() - 120_000))
    await run_polls(make_source(server, runtime, p2p=False, pay=False, backfill="1h"))
    assert ids(runtime) == ["deposit:late"]


async def test_unreadable_record_becomes_a_notice(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    record = deposit_record("bad", amount="twelve", insert_time=server.now_ms() - 1000)
    server.add_deposits(record)
    await run_polls(make_source(server, runtime, p2p=False, pay=False, backfill="1h"))
    (notice,) = runtime.payments()
    assert notice.kind == "binance.unreadable" and notice.amount is None
    assert runtime.counts["unreadable_record"] == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": "1e1000000"},
        {"amount": "0"},
        {"completeTime": 10**20},
        {"completeTime": 10**400},
        {"completeTime": 4_102_444_800_000},  # 2100: after tomorrow
    ],
)
async def test_a_record_outside_the_bounds_becomes_a_notice_and_the_next_ones_still_alert(
    async_binance_server, new_runtime, changes
):
    server = async_binance_server
    runtime = new_runtime()
    now = server.now_ms()
    server.add_deposits(
        {**deposit_record("bad", insert_time=now - 2000), **changes},
        deposit_record("good", insert_time=now - 1000),
    )
    await run_polls(make_source(server, runtime, p2p=False, pay=False, backfill="1h"))
    kinds = {payment.external_id: payment.kind for payment in runtime.payments()}
    assert sorted(kinds.values()) == ["binance.deposit.credited", "binance.unreadable"]
    assert kinds["deposit:good"] == "binance.deposit.credited"
    assert runtime.counts["unreadable_record"] == 1


async def test_trading_key_alerts_once_across_restarts(async_binance_server, new_runtime):
    server = async_binance_server
    server.permissions.update(enableSpotAndMarginTrading=True, enableWithdrawals=True)
    runtime = new_runtime()
    await run_polls(make_source(server, runtime))
    await run_polls(make_source(server, runtime))
    (notice,) = runtime.payments()
    assert notice.kind == "binance.key.unsafe"
    assert "withdraw" in notice.summary and "trade spot and margin" in notice.summary
    assert "can withdraw" in runtime.health.info["api_key_warning"]


async def test_require_read_only_refuses_a_trading_key(async_binance_server, new_runtime):
    server = async_binance_server
    server.permissions.update(enableFutures=True)
    source = make_source(server, new_runtime(), require_read_only=True)
    with pytest.raises(StartupError, match=r"trade futures.*require_read_only"):
        await source.start()
    await source.close()


async def test_key_check_deferred_when_binance_is_down_at_start(async_binance_server, new_runtime):
    server = async_binance_server
    server.permissions.update(enableWithdrawals=True)
    server.script(RESTRICTIONS, Fault.server_error(503))
    runtime = new_runtime()
    source = make_source(server, runtime, require_read_only=True)
    await source.start()  # does not crash the daemon
    try:
        with pytest.raises(RetryLater, match="withdraw"):
            await source.poll()
        with pytest.raises(RetryLater) as again:
            await source.poll()
    finally:
        await source.close()
    assert again.value.retry_after == 1800
    assert server.requests_to(DEPOSITS) == []  # a refused key never reads history
    assert runtime.health.connected is False


@pytest.mark.parametrize(
    ("fault", "wait"), [(Fault.region_blocked(), 6 * 3600), (Fault.banned(retry_after=600), 600)]
)
async def test_a_refusal_at_start_up_is_waited_out_by_the_first_poll(
    async_binance_server, new_runtime, fault, wait
):
    server = async_binance_server
    server.fail_always("*", fault)
    runtime = new_runtime()
    source = make_source(server, runtime)
    await source.start()  # the clock sync is refused: /health shows it at once
    asked = len(server.requests)
    try:
        with pytest.raises(RetryLater) as caught:
            await source.poll()  # the scheduler's first run, right after start-up
    finally:
        await source.close()
    assert len(server.requests) == asked  # Binance is not asked again before the wait is over
    assert wait - 60 < caught.value.retry_after <= wait
    assert runtime.health.connected is False


async def test_auth_failure_stops_the_poll_and_backs_off(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    source = make_source(server, runtime)
    await source.start()
    server.fail_always(DEPOSITS, Fault.rejected_key())
    try:
        with pytest.raises(RetryLater) as caught:
            await source.poll()
    finally:
        await source.close()
    assert caught.value.retry_after == 1800
    assert "-2015" in caught.value.reason
    assert server.requests_to(P2P) == [] and server.requests_to(PAY) == []
    assert runtime.health.connected is False and runtime.counts["auth"] == 1


async def test_transient_failure_of_one_feed_still_polls_the_others(async_binance_server, new_runtime):
    server = async_binance_server
    runtime = new_runtime()
    await run_polls(make_source(server, runtime))
    created = server.now_ms() + 5
    server.add_pay_transactions(pay_record("P-ok", transaction_time=created))
    move_clock_past(server, created)
    server.fail_always(DEPOSITS, Fault.server_error(502))
    source = make_source(server, runtime)
    await source.start()
    try:
        with pytest.raises(RetryLater, match="HTTP 502") as caught:
            await source.poll()
    finally:
        await source.close()
    assert caught.value.retry_after is None
    assert ids(runtime) == ["pay:P-ok"]


async def test_key_check_failure_does_not_block_reading_without_require_read_only(
    async_binance_server, new_runtime
):
    server = async_binance_server
    server.fail_always(RESTRICTIONS, Fault.server_error(502))
    runtime = new_runtime()
    await run_polls(make_source(server, runtime, backfill="1h"))
    server.add_deposits(deposit_record("read-anyway", insert_time=server.now_ms() - 1000))
    server.fail_always(RESTRICTIONS, None)
    server.permissions.update(enableWithdrawals=True)
    source = make_source(server, runtime, backfill="1h")
    server.fail_always(RESTRICTIONS, Fault.server_error(502))
    await source.start()
    try:
        await source.poll()  # the check fails again, the feeds are read anyway
        server.fail_always(RESTRICTIONS, None)
        await source.poll()  # now the check succeeds: the warning notice follows
    finally:
        await source.close()
    assert ids(runtime)[0] == "deposit:read-anyway"
    assert [p.kind for p in runtime.payments()][1:] == ["binance.key.unsafe"]


async def test_a_firewall_refusal_stops_the_poll_backs_off_and_is_a_health_problem(
    async_binance_server, new_runtime
):
    server = async_binance_server
    runtime = new_runtime()
    source = make_source(server, runtime, rate_limit_backoff="5m")
    await source.start()
    server.fail_always(DEPOSITS, Fault.waf_blocked())
    try:
        with pytest.raises(RetryLater) as caught:
            await source.poll()
        assert caught.value.retry_after == 300 and "HTTP 403" in caught.value.reason
        assert server.requests_to(P2P) == [] and server.requests_to(PAY) == []
        assert runtime.counts["firewall"] == 1
        assert runtime.health.connected is False and "HTTP 403" in runtime.health.info["problem"]
        assert runtime.health.info["retry_at"] is not None
        server.fail_always(DEPOSITS, None)
        await source.poll()
    finally:
        await source.close()
    assert runtime.health.connected is True and runtime.health.info["problem"] is None


async def test_a_deposit_pending_before_the_first_start_alerts_when_credited(
    async_binance_server, new_runtime
):
    server = async_binance_server
    server.add_deposits(
        deposit_record("early", status=0, insert_time=server.now_ms() - 60_000),
        deposit_record("old-credited", status=1, insert_time=server.now_ms() - 120_000),
    )
    runtime = new_runtime()
    source = make_source(server, runtime, p2p=False, pay=False)
    await source.start()
    try:
        await source.poll()  # first run: starts now, follows the pending deposit by id
        assert ids(runtime) == []  # nothing from before the first run is alerted
        await source.poll()
        server.update_deposit("early", status=1)
        before = len(server.requests_to(DEPOSITS))
        await source.poll()
        assert ids(runtime) == ["deposit:early"]
        assert len(server.requests_to(DEPOSITS)) - before == 2  # the new window and the one re-check
        before = len(server.requests_to(DEPOSITS))
        await source.poll()  # credited: no longer followed
        assert len(server.requests_to(DEPOSITS)) - before == 1
    finally:
        await source.close()
    assert ids(runtime) == ["deposit:early"]


async def test_an_open_p2p_order_from_before_the_first_start_alerts_when_completed(
    async_binance_server, new_runtime
):
    server = async_binance_server
    server.add_p2p_orders(p2p_record("5" * 20, status="BUYER_PAYED", create_time=server.now_ms() - 60_000))
    runtime = new_runtime()
    source = make_source(server, runtime, deposits=False, pay=False)
    await source.start()
    try:
        await source.poll()
        server.update_p2p_order("5" * 20, orderStatus="COMPLETED")
        await source.poll()
    finally:
        await source.close()
    assert ids(runtime) == ["p2p:" + "5" * 20]
