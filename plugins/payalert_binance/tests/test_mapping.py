"""Binance records to Payments: the published examples (corpus) and our own edge cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from payalert_binance.mapping import (
    deposit_payment,
    deposit_unfinished_time,
    key_warning_notice,
    p2p_payment,
    p2p_unfinished_time,
    pay_payment,
    unreadable_notice,
)
from payalert_testing import corpus_path
from payalert_testing.binance import deposit_record, p2p_record, pay_record

from payalert_core import Direction


def corpus(name: str):
    return json.loads(corpus_path("binance", name).read_text(encoding="utf-8"))


def test_deposit_connector_python_example():
    (record,) = corpus("deposit_hisrec.binance-connector-python.json")
    payment = deposit_payment("bn", record, pending_alerts=False)
    assert payment.kind == "binance.deposit.credited"
    assert payment.external_id == "deposit:769800519366885376"
    assert payment.amount == Decimal("0.001") and payment.currency == "BNB"
    assert payment.direction is Direction.IN
    assert payment.occurred_at == datetime(2022, 8, 26, 5, 52, 26, tzinfo=UTC)
    assert payment.reference == record["txId"]
    assert payment.details["Network"] == "BNB"
    assert payment.details["Confirmations"] == "1/1"
    assert payment.details["Transaction"] == "98A3EA56…264FACFC"
    assert payment.details["Memo/tag"] == "101764890"
    assert payment.title == "Deposit credited: 0.001 BNB"
    assert payment.link is None  # BNB Beacon Chain: no explorer we link to
    assert payment.raw == record


def test_deposit_typescript_example_pending_and_credited():
    pending, credited = corpus("deposit_hisrec.binance-connector-typescript.json")
    assert deposit_payment("bn", pending, pending_alerts=False) is None
    early = deposit_payment("bn", pending, pending_alerts=True)
    assert early.kind == "binance.deposit.pending"
    assert early.external_id == "deposit-pending:769800519366885376"
    assert early.title == "Deposit pending: 0.001 BNB (not yet received)"
    # A notice: the amount is shown, marked not yet received, and counted only once credited.
    assert early.amount is None and early.currency is None and early.direction is Direction.NONE
    assert (early.identity, early.status) == ("deposit:769800519366885376", "pending")
    assert deposit_unfinished_time(pending) == 1661493146000
    done = deposit_payment("bn", credited, pending_alerts=True)
    assert done.external_id == "deposit:769754833590042625"
    assert done.amount == Decimal("0.50000000") and done.currency == "IOTA"
    assert deposit_unfinished_time(credited) is None


def test_deposit_docstring_example_without_id_uses_coin_and_tx():
    paxg, iota = corpus("deposit_hisrec.python-binance-docstring.json")
    payment = deposit_payment("bn", paxg, pending_alerts=False)
    assert payment.external_id == f"deposit:PAXG:{paxg['txId']}"
    assert payment.summary == "0.009998 PAXG on ETH · 12/12 confirmations · tx 0xaad465…328b09f3"
    assert payment.link == f"https://etherscan.io/tx/{paxg['txId']}"
    assert deposit_payment("bn", iota, pending_alerts=False).external_id.startswith("deposit:IOTA:ESBF")


def test_deposit_credited_but_locked_says_so_and_shares_the_credited_id():
    locked = deposit_payment("bn", deposit_record("d-6", status=6), pending_alerts=False)
    credited = deposit_payment("bn", deposit_record("d-6", status=1), pending_alerts=False)
    assert locked.title == "Deposit credited (cannot withdraw yet): 25.50 USDT"
    assert locked.details["Status"] == "credited, cannot withdraw yet"
    assert locked.external_id == credited.external_id == "deposit:d-6"


@pytest.mark.parametrize("status", [2, 7])
def test_rejected_or_wrong_deposits_do_not_alert(status):
    assert deposit_payment("bn", deposit_record("x", status=status), pending_alerts=True) is None


def test_deposit_waiting_for_user_holds_but_does_not_alert():
    record = deposit_record("w", status=8, insert_time=1_700_000_000_000)
    assert deposit_payment("bn", record, pending_alerts=True) is None
    assert deposit_unfinished_time(record) == 1_700_000_000_000


@pytest.mark.parametrize(
    ("network", "link"),
    [
        ("TRX", "https://tronscan.org/#/transaction/"),
        ("BSC", "https://bscscan.com/tx/"),
        ("BTC", "https://mempool.space/tx/"),
        ("SOL", "https://solscan.io/tx/"),
        ("ARBITRUM", "https://arbiscan.io/tx/"),
    ],
)
def test_explorer_links_for_common_networks(network, link):
    record = deposit_record("n", network=network)
    assert deposit_payment("bn", record, pending_alerts=False).link == link + record["txId"]


def test_internal_transfer_gets_no_link():
    record = deposit_record("i", network="ETH", tx_id="Internal transfer 1234567890123")
    payment = deposit_payment("bn", record, pending_alerts=False)
    assert payment.link is None and payment.reference == "Internal transfer 1234567890123"


@pytest.mark.parametrize(
    "name",
    [
        "c2c_listUserOrderHistory.binance-connector-python.json",
        "c2c_listUserOrderHistory.python-binance-docstring.json",
    ],
)
def test_p2p_examples(name):
    answer = corpus(name)
    (record,) = answer["data"]
    payment = p2p_payment("bn", record, ["COMPLETED"])
    assert payment.kind == "binance.p2p.sell.completed"
    assert payment.external_id == "p2p:20219644646554779648"
    assert payment.amount == Decimal("33400.00000000") and payment.currency == "CNY"
    assert payment.direction is Direction.IN
    assert payment.counterparty == record["counterPartNickName"]
    assert payment.reference == "20219644646554779648"
    assert payment.details["Asset amount"] == "5,000 BUSD"
    assert payment.details["Unit price"] == "6.68 CNY"
    assert payment.details["Fiat amount"] == "33,400.00 CNY"
    assert payment.details["Direction"] == "Sold BUSD (SELL)"
    assert payment.title == "P2P sell completed: received 33,400.00 CNY for 5,000 BUSD"
    assert payment.occurred_at == datetime(2021, 4, 25, 14, 36, 9, tzinfo=UTC)
    assert p2p_unfinished_time(record) is None


def test_p2p_buy_is_money_out_and_other_statuses_are_opt_in_notices():
    record = p2p_record("2000000000000000001", trade_type="BUY", status="BUYER_PAYED")
    assert p2p_payment("bn", record, ["COMPLETED"]) is None
    assert p2p_unfinished_time(record) == record["createTime"]
    payment = p2p_payment("bn", record, ["BUYER_PAYED", "COMPLETED"])
    assert payment.kind == "binance.p2p.buy.buyer_payed"
    assert payment.external_id == "p2p:2000000000000000001:BUYER_PAYED"
    # Not completed: a notice, the amount shown but not counted (money is counted once, when real).
    assert payment.direction is Direction.NONE and payment.amount is None and payment.currency is None
    assert payment.title == "P2P buy marked paid: 10,620.00 INR for 120 USDT (not yet released to you)"
    assert (payment.identity, payment.status) == ("p2p:2000000000000000001", "marked paid")
    done = p2p_payment("bn", record | {"orderStatus": "COMPLETED"}, ["BUYER_PAYED", "COMPLETED"])
    assert done.direction is Direction.OUT and done.amount == Decimal("10620.00000000")
    assert (done.identity, done.status) == (payment.identity, "completed")


def test_p2p_sell_buyer_payed_is_a_warning_counting_nothing():
    record = p2p_record("2000000000000000002", trade_type="SELL", status="BUYER_PAYED")
    record.update(fiat="EUR", totalPrice="279.00", amount="300", asset="USDT")
    payment = p2p_payment("bn", record, ["BUYER_PAYED", "COMPLETED"])
    assert payment.title == "The buyer says they paid 279.00 EUR: check your bank before releasing 300 USDT"
    assert payment.amount is None and payment.direction is Direction.NONE
    assert payment.details["Fiat amount"] == "279.00 EUR (not yet received)"
    assert payment.status == "buyer says paid"
    done = p2p_payment("bn", record | {"orderStatus": "COMPLETED"}, ["BUYER_PAYED", "COMPLETED"])
    assert done.amount == Decimal("279.00") and done.direction is Direction.IN
    assert done.title == "P2P sell completed: received 279.00 EUR for 300 USDT"
    cancelled = p2p_payment("bn", record | {"orderStatus": "CANCELLED"}, ["CANCELLED"])
    assert cancelled.amount is None and cancelled.title == "P2P sell cancelled: 279.00 EUR for 300 USDT"


def test_pay_example_incoming():
    (record,) = corpus("pay_transactions.binance-connector-python.json")["data"]
    payment = pay_payment("bn", record, incoming=True, outgoing=False)
    assert payment.kind == "binance.pay.received"
    assert payment.external_id == "pay:M_P_71505104267788288"
    assert payment.amount == Decimal("23.72469206") and payment.currency == "BNB"
    assert payment.direction is Direction.IN
    assert payment.counterparty == "Jack (Binance ID 12345678)"
    assert payment.title == "Binance Pay received: 23.72469206 BNB from Jack"
    assert payment.details["Order type"] == "transfer (C2C)"
    assert payment.details["Payer"] == "Jack (Binance ID 12345678)"
    assert payment.details["Receiver"] == "Alan (Binance ID 34355667)"
    assert payment.details["Receiver account ID"] == "21326891"
    assert "Payer account ID" not in payment.details  # the payer's record has none
    assert payment.details["Paid with"] == "1.2 USDT"
    assert payment.occurred_at.tzinfo is not None


def test_pay_payer_account_id_is_kept_as_a_detail_line():
    record = pay_record("P-9", payer="Priya S")
    record["payerInfo"] = {"name": "Priya S", "type": "USER", "accountId": "88120034"}
    payment = pay_payment("bn", record, incoming=True, outgoing=False)
    assert payment.details["Payer"] == "Priya S"
    assert payment.details["Payer account ID"] == "88120034"


def test_pay_outgoing_only_when_asked_and_note_shown():
    record = pay_record("P-1", amount="-7.25", receiver="Shop", order_type="PAY", note="invoice 42")
    assert pay_payment("bn", record, incoming=True, outgoing=False) is None
    payment = pay_payment("bn", record, incoming=True, outgoing=True)
    assert payment.kind == "binance.pay.sent" and payment.direction is Direction.OUT
    assert payment.amount == Decimal("7.25")
    assert payment.title == "Binance Pay sent: 7.25 USDT to Shop"
    assert payment.details["Note"] == "invoice 42"
    assert payment.summary == "merchant payment · note: invoice 42"
    assert pay_payment("bn", pay_record("P-2"), incoming=False, outgoing=True) is None


def test_bad_amounts_are_refused_not_guessed():
    with pytest.raises(ValueError, match="amount"):
        deposit_payment("bn", deposit_record("z", amount="abc"), pending_alerts=False)
    with pytest.raises(ValueError, match="not a finite"):
        pay_payment("bn", pay_record("z", amount="NaN"), incoming=True, outgoing=True)


def test_unreadable_and_key_notices_are_stable_notices():
    when = datetime(2024, 1, 1, tzinfo=UTC)
    first = unreadable_notice("bn", "deposits", {"a": 1}, KeyError("amount"), when)
    again = unreadable_notice("bn", "deposits", {"a": 1}, KeyError("amount"), when)
    assert first.external_id == again.external_id and first.amount is None
    key = key_warning_notice("bn", "KEY-ABC", ["withdraw"], when)
    assert key.external_id == key_warning_notice("bn", "KEY-ABC", ["trade futures"], when).external_id
    assert key.external_id != key_warning_notice("bn", "KEY-XYZ", ["withdraw"], when).external_id
    assert "KEY-ABC" not in key.to_json()
    assert key.direction is Direction.NONE and key.kind == "binance.key.unsafe"
