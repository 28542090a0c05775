"""End to end: a payment's status changes follow one Telegram message, and its money counts once.

A real ``payalert run`` polls the local Binance server and sends through python-telegram-bot to the
local Bot API server; the recorder notifier beside it shows what the core stored and delivered.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from payalert_testing.binance import deposit_record, p2p_record
from payalert_testing.telegram_api import TOKEN

CHAT = 111


@pytest.fixture
def start(payalert_daemon, binance_server, telegram_api):
    def start(**feeds):
        source = binance_server.source_config(backfill="1h", **{"p2p": False, "pay": False, **feeds})
        telegram = {"type": "telegram", "token": TOKEN, "destinations": [CHAT], "base_url": telegram_api.url}
        return payalert_daemon.start(sources={"bn": source}, notifiers={"tg": telegram})

    return start


def counted(alerts) -> Decimal:
    """What the alerts add up to: only alerts that carry an amount count."""
    return sum((a.payment.amount for a in alerts if a.payment.amount is not None), Decimal(0))


def test_a_deposit_from_pending_to_credited_is_one_message_edited(start, binance_server, telegram_api):
    server = binance_server
    daemon = start(deposits={"pending": True})
    server.add_deposits(
        deposit_record("d-1", amount="0.001", coin="BNB", status=0, insert_time=server.now_ms())
    )
    daemon.wait_for(lambda: telegram_api.sent(CHAT))
    (pending,) = telegram_api.sent(CHAT)
    assert "Deposit pending: 0.001 BNB (not yet received)" in pending.text
    server.update_deposit("d-1", status=1)
    alerts = daemon.wait_for_alerts(2)
    (message,) = daemon.wait_for(lambda: [m for m in telegram_api.sent(CHAT) if m.edits == 1])
    assert message.message_id == pending.message_id and "Deposit credited: 0.001 BNB" in message.text
    assert len(telegram_api.sent(CHAT)) == 1  # the chat's order is kept: nothing new was posted
    assert [a.update_of for a in alerts] == [None, "deposit-pending:d-1"]
    assert counted(alerts) == Decimal("0.001")  # the pending notice counts nothing


def test_a_p2p_sell_is_one_warning_then_one_edit_and_counts_once(start, binance_server, telegram_api):
    server = binance_server
    daemon = start(p2p={"statuses": ["BUYER_PAYED", "COMPLETED"], "trade_types": ["SELL"]})
    order = p2p_record(
        "7" * 20, status="TRADING", fiat="EUR", amount="300", unit_price="0.93", create_time=server.now_ms()
    )
    server.add_p2p_orders(order)
    daemon.wait_for(lambda: server.requests_to("/sapi/v1/c2c/orderMatch/listUserOrderHistory"))
    server.update_p2p_order("7" * 20, orderStatus="BUYER_PAYED")
    daemon.wait_for(lambda: telegram_api.sent(CHAT))
    (warning,) = telegram_api.sent(CHAT)
    assert "The buyer says they paid 279.00 EUR: check your bank before releasing 300 USDT" in warning.text
    server.update_p2p_order("7" * 20, orderStatus="COMPLETED")
    alerts = daemon.wait_for_alerts(2)
    (message,) = daemon.wait_for(lambda: [m for m in telegram_api.sent(CHAT) if m.edits == 1])
    assert message.message_id == warning.message_id
    assert "P2P sell completed: received 279.00 EUR for 300 USDT" in message.text
    assert len(telegram_api.sent(CHAT)) == 1
    assert counted(alerts) == Decimal("279.00")
    assert [a.payment.status for a in alerts] == ["buyer says paid", "completed"]


def test_a_message_too_old_to_edit_gets_a_short_reply(start, binance_server, telegram_api):
    server = binance_server
    daemon = start(deposits={"pending": True})
    server.add_deposits(
        deposit_record("d-2", amount="0.001", coin="BNB", status=0, insert_time=server.now_ms())
    )
    daemon.wait_for(lambda: telegram_api.sent(CHAT))
    telegram_api.edit_window = 0.0  # as Telegram refuses edits after 48 hours
    server.update_deposit("d-2", status=1)
    first, reply = daemon.wait_for(lambda: len(telegram_api.sent(CHAT)) == 2 and telegram_api.sent(CHAT))
    assert first.edits == 0 and reply.reply_to == first.message_id
    assert reply.text.startswith("✔ credited: +0.001 BNB deposit from ")
    assert "can no longer be edited; replying" in daemon.output()
