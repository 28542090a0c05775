"""A bank alert as a payalert payment: the title, summary and details every alert source shows alike."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from payalert_core import Direction, Payment, PaymentMatch, format_amount

from .lazyre import LazyPattern
from .model import ParsedAlert

#: Wording that says money moved; a bank's text without it (and an amount) is not an alert.
_MONEY_WORDS = LazyPattern(
    r"\b(?:debited|credited|spent|paid|received|sent|deposited|withdrawn|transferred|deducted|refund(?:ed)?|reversed"
    r"|reversal|purchase|txn|transaction)\b",
    re.I,
)
_AMOUNT = LazyPattern(r"(?:Rs\.?|INR|₹)\s?\d", re.I)
_CHANNEL_LABELS = {
    "upi": "UPI",
    "card": "Card",
    "neft": "NEFT",
    "imps": "IMPS",
    "rtgs": "RTGS",
    "refund": "Refund",
}


def looks_transactional(text: str) -> bool:
    """An amount and a word saying money moved: what an alert no parser read would have."""
    return bool(_AMOUNT.search(text) and _MONEY_WORDS.search(text))


def alert_title(alert: ParsedAlert) -> str:
    """``UPI credit from NAME``, ``Card spend at SHOP``, ``Refund``: what the alert's headline says."""
    label = _CHANNEL_LABELS.get(alert.channel, "Account")
    party = alert.counterparty
    if alert.channel == "card":
        verb = "spend at" if alert.direction == "debit" else "credit from"
        return (
            f"Card {verb} {party}" if party else f"Card {'spend' if alert.direction == 'debit' else 'credit'}"
        )
    if alert.channel == "refund":
        return f"Refund from {party}" if party else "Refund"
    if alert.direction == "credit":
        return f"{label} credit from {party}" if party else f"{label} credit"
    return f"{label} debit to {party}" if party else f"{label} debit"


def _balance(balance: Decimal, currency: str) -> str:
    """A balance as shown: an empty account's ``0.00 INR`` too (no amount a payment moves is 0)."""
    return f"0.00 {currency}" if balance == 0 else format_amount(balance, currency)


def alert_payment(
    alert: ParsedAlert,
    *,
    source: str,
    external_id: str,
    note: str | None = None,
    raw: Any = None,
    match: PaymentMatch | None = None,
) -> Payment:
    """The payment a bank alert tells (``bank.<channel>.<direction>``), with its account, VPA and reference."""
    details: dict[str, str] = {}
    if alert.account_last4:
        details["Account"] = f"••{alert.account_last4}"
    if alert.vpa:
        details["VPA"] = alert.vpa
    if alert.reference:
        details["Reference"] = alert.reference
    if alert.balance is not None:
        details["Balance"] = _balance(alert.balance, alert.currency or "INR")
    if alert.issuer:
        details["Issuer"] = alert.issuer
    details["Parser"] = alert.parser
    if note:
        details["Note"] = note
    summary_parts = [f"••{alert.account_last4}" if alert.account_last4 else "", alert.reference or ""]
    return Payment(
        source=source,
        kind=f"bank.{alert.channel}.{alert.direction}",
        external_id=external_id,
        amount=alert.amount,
        currency=alert.currency,
        direction=Direction.IN if alert.direction == "credit" else Direction.OUT,
        occurred_at=alert.occurred_at,
        title=alert_title(alert),
        summary=" · ".join(p for p in summary_parts if p),
        counterparty=alert.counterparty,
        reference=alert.reference,
        details=details,
        raw=raw,
        match=match,
    )
