"""What a parser sees (an alert text from mail or SMS), what it answers, and the protocol it follows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

Direction = Literal["debit", "credit"]
#: Where an alert text came from: the body of an e-mail, or an SMS (or a phone notification).
Medium = Literal["email", "sms"]


@dataclass(frozen=True)
class AlertText:
    """One alert as parsers see it: the body as plain text plus the envelope facts.

    ``sender`` is an e-mail address for ``medium="email"``, or the SMS sender id (a DLT header such
    as ``VM-HDFCBK`` or ``AX-ICICIT-S``) for ``medium="sms"``; ``sent_at`` is when the mail or SMS
    was sent, used to complete dates without a year or time. ``subject`` is empty for an SMS.
    """

    text: str
    subject: str = ""
    sender: str = ""
    sent_at: datetime | None = None
    medium: Medium = "email"

    @property
    def flat(self) -> str:
        """The body on one line, every run of whitespace (newlines too) made one space."""
        return " ".join(self.text.split())

    @property
    def sender_domain(self) -> str:
        """The domain of ``sender`` in lower case, or ``""`` when it is not an address."""
        _, at, domain = self.sender.rpartition("@")
        return domain.strip().strip(">").lower() if at else ""


@dataclass(frozen=True)
class ParsedAlert:
    """A payment read from an alert. ``direction`` is seen from the account holder's side."""

    parser: str
    amount: Decimal
    currency: str
    direction: Direction
    occurred_at: datetime
    channel: str = "account"
    account_last4: str | None = None
    counterparty: str | None = None
    vpa: str | None = None
    reference: str | None = None
    balance: Decimal | None = None
    details: dict[str, str] = field(default_factory=dict)
    #: The issuer the alert was matched to (``"HDFC Bank"``), when a parser knows it.
    issuer: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or self.amount <= 0:
            raise ValueError("a parsed amount must be a positive Decimal")
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        if self.direction not in ("debit", "credit"):
            raise ValueError(f"direction must be debit or credit, not {self.direction!r}")
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(f"currency must be an ISO-4217 code, not {self.currency!r}")

    def to_json(self) -> dict[str, Any]:
        """The fields as ``explain`` shows them: amounts as strings, the time in ISO-8601."""
        return {
            "amount": str(self.amount),
            "currency": self.currency,
            "direction": self.direction,
            "account_last4": self.account_last4,
            "counterparty": self.counterparty,
            "vpa": self.vpa,
            "reference": self.reference,
            "occurred_at": self.occurred_at.isoformat(),
            "balance": None if self.balance is None else str(self.balance),
            "channel": self.channel,
            **({"details": self.details} if self.details else {}),
        }


@dataclass(frozen=True)
class NotATransaction:
    """The parser knows this message and it moves no money (an OTP, a statement, a declined card).

    ``kind`` names what it is (``otp``, ``statement``, ``declined`` …, see :mod:`payalert_banktext.kinds`).
    """

    parser: str
    reason: str
    kind: str | None = None
    issuer: str | None = None


@dataclass(frozen=True)
class Refused:
    """The message looks like a transaction but the parser does not understand all of it."""

    parser: str
    reason: str
    kind: str | None = None
    issuer: str | None = None


#: What a parser answers about a message it recognises; ``None`` means "not mine".
ParseResult = ParsedAlert | NotATransaction | Refused


@runtime_checkable
class AlertParser(Protocol):
    """A parser: built in, a user's regex rule, or registered by a plugin.

    ``domains`` lists the sender domains whose authenticated mail may carry this parser's alerts
    (an empty tuple: any bank domain). ``parse`` returns ``None`` for a message that is not its
    kind, and must return :class:`Refused` rather than guess when it only half understands one.
    """

    name: str
    domains: tuple[str, ...]

    def parse(self, message: AlertText) -> ParseResult | None:
        """Read ``message``; never raise for odd input."""
        ...
