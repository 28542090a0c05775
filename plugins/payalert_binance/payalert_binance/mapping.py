"""Binance records (deposits, P2P orders, Pay transactions) to Payments."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from payalert_core import Direction, Payment, format_amount

from .explorers import explorer_link, short_tx

DEPOSIT_PENDING = 0
DEPOSIT_SUCCESS = 1
DEPOSIT_CREDITED_LOCKED = 6
DEPOSIT_WAITING_USER = 8
#: Deposit statuses that may still turn into a credited deposit.
DEPOSIT_UNFINISHED = {DEPOSIT_PENDING, DEPOSIT_WAITING_USER}
#: P2P statuses after which an order never changes again.
P2P_FINAL = {"COMPLETED", "CANCELLED", "CANCELLED_BY_SYSTEM"}
#: How a P2P status reads in an alert (``BUYER_PAYED`` is only the buyer's claim).
P2P_STATUS_WORDS = {
    "BUYER_PAYED": "buyer says paid",
    "DISTRIBUTING": "releasing",
    "IN_APPEAL": "in appeal",
    "CANCELLED_BY_SYSTEM": "cancelled by Binance",
}
#: How an amount not (yet) received is marked in a notice.
NOT_YET_RECEIVED = "not yet received"
PAY_ORDER_TYPES = {
    "PAY": "merchant payment",
    "PAY_REFUND": "merchant payment refund",
    "C2C": "transfer",
    "CRYPTO_BOX": "Crypto Box",
    "CRYPTO_BOX_RF": "Crypto Box refund",
    "C2C_HOLDING": "transfer to a new Binance user",
    "C2C_HOLDING_RF": "transfer to a new Binance user, refunded",
    "PAYOUT": "payout",
}
_NOT_CODE = re.compile(r"[^A-Z0-9]")


def ms_to_datetime(value: Any) -> datetime:
    """A Binance millisecond timestamp as an aware UTC datetime; ValueError when it is out of range."""
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (OverflowError, OSError):  # what fromtimestamp raises for years past what C time can hold
        raise ValueError(f"time {value!r} is out of range") from None


def _decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{field} {value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{field} {value!r} is not a finite number")
    return result


def _code(value: Any, field: str) -> str:
    code = _NOT_CODE.sub("", str(value or "").upper())[:12]
    if len(code) < 2:
        raise ValueError(f"{field} {value!r} is not a currency code")
    return code


def _plain(amount: Decimal) -> str:
    text = f"{amount.normalize():,f}"
    return text


def deposit_id(record: dict[str, Any]) -> str:
    """The stable identity of a deposit: Binance's ``id`` when sent, else coin and ``txId``."""
    if record.get("id"):
        return str(record["id"])
    return f"{record.get('coin', '')}:{record['txId']}"


def deposit_unfinished_time(record: dict[str, Any]) -> int | None:
    """``insertTime`` of a deposit that may still be credited later, else None."""
    if record.get("status") in DEPOSIT_UNFINISHED:
        return int(record["insertTime"])
    return None


def deposit_payment(source: str, record: dict[str, Any], pending_alerts: bool) -> Payment | None:
    """A credited deposit (status 1 or 6), or a pending one (0) when asked; None otherwise."""
    status = record.get("status")
    if status in (DEPOSIT_SUCCESS, DEPOSIT_CREDITED_LOCKED):
        state, kind, prefix = "credited", "binance.deposit.credited", "deposit"
    elif status == DEPOSIT_PENDING and pending_alerts:
        state, kind, prefix = "pending", "binance.deposit.pending", "deposit-pending"
    else:
        return None
    amount = _decimal(record["amount"], "amount")
    coin = _code(record["coin"], "coin")
    network = str(record.get("network") or "")
    tx_id = str(record.get("txId") or "")
    confirmations = str(record.get("confirmTimes") or "")
    shown = format_amount(amount, coin)
    if status == DEPOSIT_CREDITED_LOCKED:
        title = f"Deposit credited (cannot withdraw yet): {shown}"
        status_text = "credited, cannot withdraw yet"
    elif state == "credited":
        title = f"Deposit credited: {shown}"
        status_text = "credited"
    else:  # a notice: the money counts only once credited
        shown = f"{shown} ({NOT_YET_RECEIVED})"
        title = f"Deposit pending: {shown}"
        status_text = "pending confirmation"
    when = (
        record.get("completeTime")
        if state == "credited" and record.get("completeTime")
        else record["insertTime"]
    )
    details = {"Amount": shown, "Coin": coin, "Status": status_text}
    if network:
        details["Network"] = network
    if confirmations:
        details["Confirmations"] = confirmations
    if tx_id:
        details["Transaction"] = short_tx(tx_id)
    if record.get("address"):
        details["Address"] = short_tx(str(record["address"]))
    if record.get("addressTag"):
        details["Memo/tag"] = str(record["addressTag"])
    summary_parts = [f"{shown} on {network}" if network else shown]
    if confirmations:
        summary_parts.append(f"{confirmations} confirmations")
    if tx_id:
        summary_parts.append(f"tx {short_tx(tx_id)}")
    return Payment(
        source=source,
        kind=kind,
        external_id=f"{prefix}:{deposit_id(record)}",
        amount=amount if state == "credited" else None,
        currency=coin if state == "credited" else None,
        direction=Direction.IN if state == "credited" else Direction.NONE,
        occurred_at=ms_to_datetime(when),
        title=title,
        summary=" · ".join(summary_parts),
        reference=tx_id or None,
        link=explorer_link(network, tx_id),
        details=details,
        raw=record,
        identity=f"deposit:{deposit_id(record)}",
        status=state,
    )


def p2p_unfinished_time(record: dict[str, Any]) -> int | None:
    """``createTime`` of an order that can still change status, else None."""
    if str(record.get("orderStatus", "")).upper() not in P2P_FINAL:
        return int(record["createTime"])
    return None


def p2p_payment(source: str, record: dict[str, Any], statuses: list[str]) -> Payment | None:
    """A P2P order in one of ``statuses`` (COMPLETED by default); None otherwise."""
    status = str(record.get("orderStatus", "")).upper()
    if status not in statuses:
        return None
    trade_type = str(record["tradeType"]).upper()
    fiat = _code(record["fiat"], "fiat")
    asset = _code(record["asset"], "asset")
    fiat_amount = _decimal(record["totalPrice"], "totalPrice")
    asset_amount = _decimal(record["amount"], "amount")
    unit_price = _decimal(record["unitPrice"], "unitPrice")
    selling = trade_type == "SELL"
    counterparty = str(record.get("counterPartNickName") or "") or None
    order_number = str(record["orderNumber"])
    completed = status == "COMPLETED"
    fiat_text, asset_text = format_amount(fiat_amount, fiat), f"{_plain(asset_amount)} {asset}"
    state = P2P_STATUS_WORDS.get(status, status.lower().replace("_", " "))
    if status == "BUYER_PAYED" and not selling:
        state = "marked paid"  # you are the buyer: your own claim, the seller has not released yet
    if completed:
        verb = "received" if selling else "paid"
        title = f"P2P {'sell' if selling else 'buy'} completed: {verb} {fiat_text} for {asset_text}"
    elif status == "BUYER_PAYED" and selling:
        # Only the buyer's claim: the moment a scammer wants the seller to release the crypto.
        title = f"The buyer says they paid {fiat_text}: check your bank before releasing {asset_text}"
    elif status in P2P_FINAL:
        title = f"P2P {'sell' if selling else 'buy'} {state}: {fiat_text} for {asset_text}"
    else:
        unpaid = NOT_YET_RECEIVED if selling else "not yet released to you"
        title = f"P2P {'sell' if selling else 'buy'} {state}: {fiat_text} for {asset_text} ({unpaid})"
    details = {
        "Direction": f"{'Sold' if selling else 'Bought'} {asset} ({trade_type})",
        "Fiat amount": fiat_text if completed or status in P2P_FINAL else f"{fiat_text} ({NOT_YET_RECEIVED})",
        "Asset amount": f"{_plain(asset_amount)} {asset}",
        "Unit price": f"{_plain(unit_price)} {fiat}",
        "Order number": order_number,
        "Status": status,
    }
    if counterparty:
        details["Counterparty"] = counterparty
    if record.get("payMethodName"):
        details["Payment method"] = str(record["payMethodName"])
    commission = record.get("commission")
    if commission not in (None, "") and _decimal(commission, "commission") != 0:
        details["Fee"] = f"{_plain(_decimal(commission, 'commission'))} {asset}"
    if record.get("advertisementRole"):
        details["Role"] = str(record["advertisementRole"]).lower()
    suffix = "" if status == "COMPLETED" else f":{status}"
    return Payment(
        source=source,
        kind=f"binance.p2p.{trade_type.lower()}.{status.lower()}",
        external_id=f"p2p:{order_number}{suffix}",
        amount=fiat_amount if completed else None,  # only a completed order moved money
        currency=fiat if completed else None,
        direction=(Direction.IN if selling else Direction.OUT) if completed else Direction.NONE,
        occurred_at=ms_to_datetime(record["createTime"]),
        title=title,
        summary=f"{'from' if selling else 'to'} {counterparty or 'a P2P counterparty'} · order {order_number}",
        counterparty=counterparty,
        reference=order_number,
        details=details,
        raw=record,
        identity=f"p2p:{order_number}",
        status=state,
    )


def _party(info: Any) -> str | None:
    if not isinstance(info, dict):
        return None
    name = str(info.get("name") or "").strip()
    ident = str(info.get("binanceId") or "").strip()
    if name and ident:
        return f"{name} (Binance ID {ident})"
    return name or (f"Binance ID {ident}" if ident else None)


def _account_id(info: Any) -> str | None:
    """The ``accountId`` of a Pay party (it tells two people of the same name apart), or None."""
    account = str(info.get("accountId") or "").strip() if isinstance(info, dict) else ""
    return account or None


def pay_payment(source: str, record: dict[str, Any], incoming: bool, outgoing: bool) -> Payment | None:
    """A Binance Pay transaction in the wanted direction (positive amounts are incoming)."""
    signed = _decimal(record["amount"], "amount")
    received = signed >= 0
    if (received and not incoming) or (not received and not outgoing):
        return None
    amount = abs(signed)
    currency = _code(record["currency"], "currency")
    order_type = str(record.get("orderType") or "")
    payer = _party(record.get("payerInfo"))
    receiver = _party(record.get("receiverInfo"))
    other = payer if received else receiver
    other_name = (record.get("payerInfo" if received else "receiverInfo") or {}).get("name") or other
    label = PAY_ORDER_TYPES.get(order_type, order_type.lower().replace("_", " ") or "payment")
    note = str(record.get("note") or record.get("remark") or "").strip()
    if received:
        title = f"Binance Pay received: {format_amount(amount, currency)}" + (
            f" from {other_name}" if other_name else ""
        )
    else:
        title = f"Binance Pay sent: {format_amount(amount, currency)}" + (
            f" to {other_name}" if other_name else ""
        )
    details = {
        "Amount": format_amount(amount, currency),
        "Order type": f"{label} ({order_type})" if order_type else label,
    }
    for role, party, info in (
        ("Payer", payer, record.get("payerInfo")),
        ("Receiver", receiver, record.get("receiverInfo")),
    ):
        if party:
            details[role] = party
        account = _account_id(info)
        if account:
            details[f"{role} account ID"] = account
    if note:
        details["Note"] = note
    funds = [
        f"{_plain(_decimal(item['amount'], 'fundsDetail.amount'))} {item['currency']}"
        for item in record.get("fundsDetail") or []
        if isinstance(item, dict) and "amount" in item and "currency" in item
    ]
    if funds:
        details["Paid with"] = ", ".join(funds)
    details["Transaction"] = str(record["transactionId"])
    return Payment(
        source=source,
        kind="binance.pay.received" if received else "binance.pay.sent",
        external_id=f"pay:{record['transactionId']}",
        amount=amount,
        currency=currency,
        direction=Direction.IN if received else Direction.OUT,
        occurred_at=ms_to_datetime(record["transactionTime"]),
        title=title,
        summary=" · ".join(part for part in (label, note and f"note: {note}") if part),
        counterparty=other,
        reference=str(record["transactionId"]),
        details=details,
        raw=record,
    )


def unreadable_notice(source: str, feed: str, record: Any, error: Exception, when: datetime) -> Payment:
    """A notice standing in for a record we could not read, so it is never silently lost."""
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return Payment(
        source=source,
        kind="binance.unreadable",
        external_id=f"unreadable:{feed}:{digest}",
        amount=None,
        currency=None,
        direction=Direction.NONE,
        occurred_at=when,
        title=f"Binance {feed} record could not be read",
        summary=f"{error}; check it in the Binance app",
        details={"Feed": feed, "Problem": str(error)},
        raw=record,
    )


def key_warning_notice(source: str, api_key: str, powers: list[str], when: datetime) -> Payment:
    """A one-time notice that the API key can do more than read (stable id per key)."""
    key_id = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return Payment(
        source=source,
        kind="binance.key.unsafe",
        external_id=f"key-permissions:{key_id}",
        amount=None,
        currency=None,
        direction=Direction.NONE,
        occurred_at=when,
        title="Binance API key is not read-only",
        summary=f"The key payalert uses can {', '.join(powers)}. Replace it with a key that only has "
        "'Enable Reading' ticked.",
        details={"Key can": ", ".join(powers), "Fix": "Binance > API Management: create a read-only key"},
    )
