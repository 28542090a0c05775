"""End to end across restarts: nothing lost, nothing repeated, long downtimes caught up."""

from __future__ import annotations

from collections import Counter

from payalert_testing.binance import DEPOSITS, P2P, PAY, deposit_record, p2p_record, pay_record

DAY = 86_400_000


def alert_ids(daemon) -> list[str]:
    return [alert.payment.external_id for alert in daemon.alerts()]


def settled(daemon) -> None:
    """Wait until every alert is sent and marked sent: a kill -9 now tests the source, not delivery.

    (A kill between a notifier's send and its commit makes the core send that alert again; that
    at-least-once delivery is the core's contract, not what these tests are about.)
    """
    daemon.wait_for(lambda: daemon.health().json()["deliveries"]["pending"] == 0)


def polls(server, path: str, at_least: int):
    return lambda: len(server.requests_to(path)) >= at_least


def test_kill_9_between_polls_loses_and_repeats_nothing(payalert_daemon, binance_server):
    server = binance_server
    daemon = payalert_daemon.start(sources={"bn": server.source_config(backfill="1h")})
    server.add_deposits(deposit_record("before-kill", insert_time=server.now_ms() - 5000))
    server.add_p2p_orders(p2p_record("6" * 20, create_time=server.now_ms() - 5000))
    daemon.wait_for_alerts(2)
    settled(daemon)
    daemon.kill()
    # While the daemon is dead: new payments, and one that Binance only shows now but dates earlier.
    server.add_deposits(deposit_record("while-down", insert_time=server.now_ms()))
    server.add_deposits(deposit_record("late-while-down", insert_time=server.now_ms() - 60_000))
    server.add_pay_transactions(pay_record("P-down", transaction_time=server.now_ms()))
    seen = len(server.requests_to(DEPOSITS))
    daemon.start()
    daemon.wait_for_alerts(5)
    daemon.wait_for(polls(server, DEPOSITS, seen + 4))  # several polls after the restart
    counts = Counter(alert_ids(daemon))
    assert set(counts) == {
        "deposit:before-kill",
        "p2p:" + "6" * 20,
        "deposit:while-down",
        "deposit:late-while-down",
        "pay:P-down",
    }
    assert max(counts.values()) == 1


def test_repeated_restarts_never_repeat_an_alert(payalert_daemon, binance_server):
    server = binance_server
    server.add_deposits(*(deposit_record(f"r{i}", insert_time=server.now_ms() - i * 1000) for i in range(20)))
    daemon = payalert_daemon.start(sources={"bn": server.source_config(backfill="1h", p2p=False, pay=False)})
    daemon.wait_for_alerts(20)
    for round_number in range(2):
        seen = len(server.requests_to(DEPOSITS))
        if round_number % 2:
            settled(daemon)
            daemon.kill()
            daemon.start()
        else:
            daemon.restart()
        daemon.wait_for(polls(server, DEPOSITS, seen + 3))
    ids = alert_ids(daemon)
    assert len(ids) == 20 and len(set(ids)) == 20


def test_downtime_of_100_days_is_caught_up_window_by_window(payalert_daemon, binance_server):
    server = binance_server
    daemon = payalert_daemon.start(sources={"bn": server.source_config()})
    daemon.wait_for(polls(server, PAY, 1))
    daemon.stop()
    # 100 days pass while payalert is stopped (the server clock jumps; payalert syncs to it).
    server.clock_offset_ms = 100 * DAY
    now = server.now_ms()
    offsets = [99 * DAY, 70 * DAY, 45 * DAY, 31 * DAY, 29 * DAY, DAY, 1000]
    server.add_deposits(*(deposit_record(f"d{i}", insert_time=now - o) for i, o in enumerate(offsets)))
    server.add_p2p_orders(*(p2p_record(f"7{i:019d}", create_time=now - o) for i, o in enumerate(offsets)))
    server.add_pay_transactions(
        *(pay_record(f"P{i}", transaction_time=now - o) for i, o in enumerate(offsets))
    )
    server.requests.clear()
    daemon.start()
    daemon.wait_for_alerts(21)
    daemon.wait_for(lambda: len(server.requests_to(PAY)) >= 4)
    ids = alert_ids(daemon)
    assert len(ids) == len(set(ids)) == 21
    assert all(request.status == 200 for request in server.requests)  # every window within the API limits
    first_poll_p2p = [r for r in server.requests_to(P2P) if r.params["tradeType"] == "SELL"]
    assert len(first_poll_p2p) >= 4  # 100 days in 30-day windows
    assert len(server.requests_to(DEPOSITS)) >= 2


def test_backfill_alerts_the_recent_past_once_across_restarts(payalert_daemon, binance_server):
    server = binance_server
    now = server.now_ms()
    server.add_deposits(deposit_record("3-days-ago", insert_time=now - 3 * DAY))
    server.add_deposits(deposit_record("1-day-ago", insert_time=now - DAY))
    server.add_pay_transactions(pay_record("P-1-day-ago", transaction_time=now - DAY))
    daemon = payalert_daemon.start(sources={"bn": server.source_config(backfill="2d")})
    daemon.wait_for_alerts(2)
    seen = len(server.requests_to(DEPOSITS))
    daemon.restart()
    daemon.wait_for(polls(server, DEPOSITS, seen + 3))
    assert sorted(alert_ids(daemon)) == ["deposit:1-day-ago", "pay:P-1-day-ago"]


def test_kill_9_while_a_pending_deposit_is_followed_loses_and_repeats_nothing(
    payalert_daemon, binance_server
):
    server = binance_server
    # No overlap: once read, the deposit is re-read only because its id is saved with the cursor.
    config = server.source_config(overlap="0s", p2p=False, pay=False, deposits={"pending": True})
    daemon = payalert_daemon.start(sources={"bn": config})
    daemon.wait_for(polls(server, DEPOSITS, 1))
    inserted = server.now_ms()
    server.add_deposits(deposit_record("followed", status=0, insert_time=inserted))
    daemon.wait_for_alerts(1)
    seen = len(server.requests_to(DEPOSITS))
    daemon.wait_for(polls(server, DEPOSITS, seen + 4))  # re-read by id for a few polls
    settled(daemon)
    daemon.kill()
    server.update_deposit("followed", status=1)
    seen = len(server.requests_to(DEPOSITS))
    daemon.start()
    daemon.wait_for_alerts(2)
    daemon.wait_for(polls(server, DEPOSITS, seen + 6))  # several polls after the restart
    assert Counter(alert_ids(daemon)) == {"deposit-pending:followed": 1, "deposit:followed": 1}
    by_id = [r for r in server.requests_to(DEPOSITS)[seen:] if r.params["startTime"] == str(inserted)]
    assert by_id and all(r.params["endTime"] == str(inserted) for r in by_id)
