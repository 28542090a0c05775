"""End to end: a real ``payalert run`` polling the Binance test server."""

from __future__ import annotations

import json
from decimal import Decimal

from payalert_testing import corpus_path
from payalert_testing.binance import DEPOSITS, P2P, PAY, deposit_record, p2p_record, pay_record
from payalert_testing.telegram_api import TOKEN

from payalert_core import Direction

DAY = 86_400_000
CHAT = 111


def corpus(name: str):
    return json.loads(corpus_path("binance", name).read_text(encoding="utf-8"))


def by_id(alerts):
    return {alert.payment.external_id: alert.payment for alert in alerts}


def test_every_feed_and_field_from_the_published_examples(payalert_daemon, binance_server):
    server = binance_server
    now = server.now_ms()
    # The published examples, re-dated into the backfill window (their own dates are years old).
    deposits = corpus("deposit_hisrec.binance-connector-typescript.json")
    for offset, record in enumerate(deposits):
        record["insertTime"] = now - 3_600_000 - offset
    orders = corpus("c2c_listUserOrderHistory.binance-connector-python.json")["data"]
    orders[0]["createTime"] = now - 3_000_000
    (pay,) = corpus("pay_transactions.binance-connector-python.json")["data"]
    pay["transactionTime"] = now - 2_000_000
    outgoing = pay_record(
        "M_P_OUT", amount="-3.5", receiver="Cafe", transaction_time=now - 1_000_000, note="lunch"
    )
    server.add_deposits(*deposits)
    server.add_p2p_orders(*orders, p2p_record("2" * 20, trade_type="BUY", create_time=now - 900_000))
    server.add_pay_transactions(pay, outgoing)
    daemon = payalert_daemon.start(
        sources={
            "binance": server.source_config(backfill="1d", deposits={"pending": True}, pay={"outgoing": True})
        }
    )
    alerts = by_id(daemon.wait_for_alerts(6))
    assert set(alerts) == {
        "deposit-pending:769800519366885376",
        "deposit:769754833590042625",
        "p2p:20219644646554779648",
        "p2p:" + "2" * 20,
        "pay:M_P_71505104267788288",
        "pay:M_P_OUT",
    }
    credited = alerts["deposit:769754833590042625"]
    assert (credited.kind, credited.amount, credited.currency) == (
        "binance.deposit.credited",
        Decimal("0.5"),
        "IOTA",
    )
    assert credited.source == "binance" and credited.details["Confirmations"] == "1/1"
    assert credited.details["Network"] == "IOTA" and credited.details["Transaction"] == "ESBFVQUT…IKIZ9999"
    pending = alerts["deposit-pending:769800519366885376"]
    assert (
        pending.kind == "binance.deposit.pending"
        and pending.title == "Deposit pending: 0.001 BNB (not yet received)"
    )
    sell = alerts["p2p:20219644646554779648"]
    assert (sell.amount, sell.currency, sell.direction) == (Decimal("33400"), "CNY", Direction.IN)
    assert sell.counterparty == "阿涛❤***" and sell.details["Unit price"] == "6.68 CNY"
    assert sell.details["Asset amount"] == "5,000 BUSD" and sell.details["Payment method"] == "BANK"
    buy = alerts["p2p:" + "2" * 20]
    assert buy.kind == "binance.p2p.buy.completed" and buy.direction is Direction.OUT
    received = alerts["pay:M_P_71505104267788288"]
    assert (received.amount, received.currency, received.counterparty) == (
        Decimal("23.72469206"),
        "BNB",
        "Jack (Binance ID 12345678)",
    )
    assert received.details["Order type"] == "transfer (C2C)"
    sent = alerts["pay:M_P_OUT"]
    assert (
        sent.direction is Direction.OUT
        and sent.details["Note"] == "lunch"
        and sent.counterparty.startswith("Cafe")
    )
    health = daemon.health().json()["sources"]["binance"]
    assert health["api_key"] == "read-only" and health["last_success"]


def test_feeds_can_be_switched_off(payalert_daemon, binance_server):
    server = binance_server
    now = server.now_ms()
    server.add_deposits(deposit_record("on", insert_time=now - 1000))
    server.add_p2p_orders(p2p_record("5" * 20, create_time=now - 1000))
    server.add_pay_transactions(pay_record("P-off", transaction_time=now - 1000))
    daemon = payalert_daemon.start(sources={"bn": server.source_config(backfill="1h", p2p=False, pay=False)})
    daemon.wait_for_alerts(1)
    daemon.wait_for(lambda: len(server.requests_to(DEPOSITS)) >= 3)
    assert [alert.payment.external_id for alert in daemon.alerts()] == ["deposit:on"]
    assert server.requests_to(P2P) == [] and server.requests_to(PAY) == []


def test_first_run_alerts_nothing_old_then_every_new_payment_once(payalert_daemon, binance_server):
    server = binance_server
    now = server.now_ms()
    server.add_deposits(*(deposit_record(f"old{i}", insert_time=now - i * 60_000 - 1000) for i in range(50)))
    daemon = payalert_daemon.start(sources={"bn": server.source_config()})
    daemon.wait_for(lambda: len(server.requests_to(DEPOSITS)) >= 2)
    server.add_deposits(deposit_record("fresh", insert_time=server.now_ms()))
    alerts = daemon.wait_for_alerts(1)
    daemon.wait_for(lambda: len(server.requests_to(DEPOSITS)) >= 6)  # several more polls
    assert [alert.payment.external_id for alert in daemon.alerts()] == ["deposit:fresh"]
    assert alerts[0].payment.amount == Decimal("25.5")


def test_many_pages_and_late_records_end_to_end(payalert_daemon, binance_server):
    server = binance_server
    daemon = payalert_daemon.start(sources={"bn": server.source_config(p2p=False, pay=False, backfill="1h")})
    daemon.wait_for(lambda: server.requests_to(DEPOSITS))
    start = server.now_ms()
    server.add_deposits(*(deposit_record(f"bulk{i}", insert_time=start + i % 100) for i in range(1100)))
    daemon.wait_for_alerts(1100, timeout=60)
    # A record that shows up late, dated before the cursor but inside the overlap window.
    server.add_deposits(deposit_record("late", insert_time=server.now_ms() - 120_000))
    alerts = daemon.wait_for_alerts(1101, timeout=30)
    ids = [alert.payment.external_id for alert in alerts]
    assert len(ids) == len(set(ids)) == 1101 and "deposit:late" in ids
    assert any(r.params.get("offset") == "1000" for r in server.requests_to(DEPOSITS))


def late_sweeps(server) -> int:
    """Deposit requests of a late sweep: windows ending well before the moment they were asked."""
    return sum(int(r.params["endTime"]) < r.at * 1000 - 9 * 60_000 for r in server.requests_to(DEPOSITS))


def test_a_deposit_listed_half_an_hour_late_is_one_telegram_message_across_restarts(
    payalert_daemon, binance_server, telegram_api
):
    server = binance_server
    source = server.source_config(backfill="2h", p2p=False, pay=False, deposits={"late_sweep_interval": "2s"})
    telegram = {"type": "telegram", "token": TOKEN, "destinations": [CHAT], "base_url": telegram_api.url}
    daemon = payalert_daemon.start(sources={"bn": source}, notifiers={"tg": telegram})
    server.add_deposits(deposit_record("on-time", amount="12", insert_time=server.now_ms()))
    daemon.wait_for(lambda: telegram_api.sent(CHAT))
    # Binance lists it only now, 31 minutes after its insertTime: past the 10-minute overlap.
    server.add_deposits(deposit_record("slow-network", amount="7", insert_time=server.now_ms() - 31 * 60_000))
    daemon.wait_for(lambda: len(telegram_api.sent(CHAT)) == 2, timeout=30)
    settled = lambda: daemon.health().json()["deliveries"]["pending"] == 0  # noqa: E731
    daemon.wait_for(settled)
    daemon.kill()
    # While payalert is down, one more is listed late; the restarted daemon's sweep finds it.
    server.add_deposits(
        deposit_record("late-while-down", amount="3", insert_time=server.now_ms() - 50 * 60_000)
    )
    daemon.start()
    daemon.wait_for(lambda: len(telegram_api.sent(CHAT)) == 3, timeout=30)
    swept = late_sweeps(server)
    daemon.wait_for(lambda: late_sweeps(server) >= swept + 3, timeout=30)  # more sweeps re-read all three
    texts = [message.text for message in telegram_api.sent(CHAT)]
    assert len(texts) == 3
    assert [
        sum(f"Deposit credited: {amount} USDT" in text for text in texts)
        for amount in ("12.00", "7.00", "3.00")
    ] == [
        1,
        1,
        1,
    ]
    ids = [alert.payment.external_id for alert in daemon.alerts()]
    assert sorted(ids) == ["deposit:late-while-down", "deposit:on-time", "deposit:slow-network"]
    # Counted since the restart: the one found then.
    assert 'payalert_source_events_total{event="listed_late",source="bn"} 1.0' in daemon.metrics()
