"""Builders of realistic Binance history records, for tests and benchmarks (re-exported by ``testing``)."""

from __future__ import annotations

import hashlib
import time
from decimal import Decimal
from typing import Any


def _now_ms() -> int:
    return int(time.time() * 1000)


def deposit_record(
    ident: str,
    amount: str = "25.5",
    coin: str = "USDT",
    network: str = "TRX",
    status: int = 1,
    insert_time: int | None = None,
    tx_id: str | None = None,
    confirmations: str = "20/20",
) -> dict[str, Any]:
    """A ``/sapi/v1/capital/deposit/hisrec`` record in the current shape (with ``id``)."""
    inserted = _now_ms() if insert_time is None else insert_time
    return {
        "id": ident,
        "amount": amount,
        "coin": coin,
        "network": network,
        "status": status,
        "address": "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf",
        "addressTag": "",
        "txId": tx_id or hashlib.sha256(ident.encode()).hexdigest(),
        "insertTime": inserted,
        "completeTime": inserted + 60_000 if status == 1 else None,
        "transferType": 0,
        "confirmTimes": confirmations,
        "unlockConfirm": 0,
        "walletType": 0,
    }


def p2p_record(
    order_number: str,
    trade_type: str = "SELL",
    status: str = "COMPLETED",
    create_time: int | None = None,
    asset: str = "USDT",
    fiat: str = "INR",
    amount: str = "120.00000000",
    unit_price: str = "88.50",
    counterparty: str = "rav***",
) -> dict[str, Any]:
    """A ``/sapi/v1/c2c/orderMatch/listUserOrderHistory`` record."""
    total = Decimal(amount) * Decimal(unit_price)
    return {
        "orderNumber": order_number,
        "advNo": "11" + order_number[-18:].rjust(18, "0"),
        "tradeType": trade_type,
        "asset": asset,
        "fiat": fiat,
        "fiatSymbol": "₹" if fiat == "INR" else fiat,
        "amount": amount,
        "totalPrice": f"{total:.8f}",
        "unitPrice": unit_price,
        "orderStatus": status,
        "createTime": _now_ms() if create_time is None else create_time,
        "commission": "0",
        "counterPartNickName": counterparty,
        "advertisementRole": "TAKER",
    }


def pay_record(
    transaction_id: str,
    amount: str = "15.5",
    currency: str = "USDT",
    transaction_time: int | None = None,
    order_type: str = "C2C",
    payer: str = "Asha",
    receiver: str = "Me",
    note: str | None = None,
) -> dict[str, Any]:
    """A ``/sapi/v1/pay/transactions`` record (a negative ``amount`` is money sent)."""
    record: dict[str, Any] = {
        "orderType": order_type,
        "transactionId": transaction_id,
        "transactionTime": _now_ms() if transaction_time is None else transaction_time,
        "amount": amount,
        "currency": currency,
        "walletType": 1,
        "walletTypes": [1],
        "fundsDetail": [{"currency": currency, "amount": amount.lstrip("-")}],
        "payerInfo": {"name": payer, "type": "USER", "binanceId": "39110001"},
        "receiverInfo": {"name": receiver, "type": "USER", "binanceId": "39110002"},
    }
    if note is not None:
        record["note"] = note
    return record
