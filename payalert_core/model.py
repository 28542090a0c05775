"""Value types: the payment every source produces and every notifier receives."""

from __future__ import annotations

import dataclasses
import enum
import json
import operator
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import orjson

from .bounds import (
    DETAIL_KEY_LIMIT,
    DETAIL_VALUE_LIMIT,
    DETAILS_LIMIT,
    EXTERNAL_ID_LIMIT,
    TEXT_LIMITS,
    InvalidPayment,
    admitted_amount,
    are_safe_lines,
    check_amount,
    check_time,
    decimal_places,
    latest_plausible_time,
    one_line,
    safe_details,
    safe_external_id,
)
from .tellings import PaymentMatch

_CURRENCY = re.compile(r"[A-Z0-9]{2,12}")
#: How long a payment's ``status`` may be.
STATUS_LIMIT = 40
_TEXT_FIELDS = operator.attrgetter(*TEXT_LIMITS)
_TEXT_LIMIT_VALUES = tuple(TEXT_LIMITS.values())
#: Set while reading a stored payment back: it was admitted when stored, and the clock has moved since.
_RESTORING: ContextVar[bool] = ContextVar("payalert_restoring_payment", default=False)


def _as_text(value: Any) -> str:
    """How a value JSON has no type for is stored: times in ISO-8601 (as orjson writes them), else ``str``."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


#: For what orjson refuses (integers beyond 64 bits, nesting deeper than 255, lone surrogates in
#: ``raw``): the standard library, writing ASCII only, so any text can be stored.
_FALLBACK_ENCODER = json.JSONEncoder(default=_as_text)


class Direction(enum.StrEnum):
    """Which way money moved, seen from the user's side."""

    IN = "in"
    OUT = "out"
    NONE = "none"  # a notice about money (a cancelled sponsorship, a warning), not a transfer


@dataclass(frozen=True)
class Payment:
    """One thing worth one alert: a payment, or a notice about one.

    ``external_id`` is stable across re-reads and redeliveries; together with ``source`` it is
    the dedupe key. ``amount`` is a ``Decimal`` in ``currency`` (ISO-4217 for fiat, the ticker for
    crypto); a notice that carries no money has both set to ``None``.

    Every value is checked at construction (see :mod:`payalert_core.bounds`): an amount must be
    finite, more than 0, below 10^15 and have at most 18 decimal places; ``occurred_at`` must be
    timezone-aware, from 1970 to a day from now; ``currency`` an upper-case code. A value out of
    range raises :class:`~payalert_core.InvalidPayment` naming the field. Text is made safe rather
    than refused: every text field (``details`` keys and values too) is one line without control
    or bidi-override characters, cut to a bounded length.
    """

    source: str
    kind: str
    external_id: str
    amount: Decimal | None
    currency: str | None
    direction: Direction
    occurred_at: datetime
    title: str
    summary: str = ""
    counterparty: str | None = None
    reference: str | None = None
    link: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    raw: Any = None
    #: The payment this alert is about, stable across its status changes (``deposit:123`` for
    #: both its pending and its credited alert). Alerts of one source sharing it follow one payment:
    #: the first is sent as an alert, each later one as a status update of it. None: a one-off.
    identity: str | None = None
    #: The status this alert reports (``pending``, ``credited``, ``buyer paid``, ``completed``…).
    status: str | None = None
    #: How to recognise this payment told again by another source (see :mod:`payalert_core.tellings`);
    #: used at ingest only, never stored with the payment.
    match: PaymentMatch | None = field(default=None, compare=False, repr=False)
    #: True on a payment :meth:`from_json` read back: its amount, currency and time were not checked.
    read_back: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not self.external_id:
            raise InvalidPayment("external_id", "must not be empty")
        if isinstance(self.amount, float):
            raise TypeError("amount must be a Decimal, never a float")
        if self.amount is not None and not isinstance(self.amount, Decimal):
            raise TypeError(f"amount must be a Decimal, got {type(self.amount).__name__}")
        if (self.amount is None) != (self.currency is None):
            raise InvalidPayment("amount", "amount and currency go together: set both or neither")
        if not isinstance(self.occurred_at, datetime):
            raise TypeError(f"occurred_at must be a datetime, got {type(self.occurred_at).__name__}")
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise InvalidPayment("occurred_at", "must be timezone-aware")
        if _RESTORING.get():
            if self.currency is not None and not _is_currency_code(self.currency):
                self._set("currency", one_line(self.currency, 16))  # shown as stored, made safe
        else:
            if self.amount is not None:
                self._set("amount", admitted_amount(self.amount))
            self._check_currency_and_time()
        if not isinstance(self.direction, Direction):
            self._set("direction", Direction(self.direction))
        if not self._text_is_safe():
            self._set("external_id", safe_external_id(self.external_id))
            for name, limit in TEXT_LIMITS.items():
                value = getattr(self, name)
                if value is not None:
                    self._set(name, one_line(value, limit))
            self._set("details", safe_details(self.details or {}))
        if self.identity is not None:
            self._set("identity", safe_external_id(self.identity))
        if self.status is not None:
            self._set("status", one_line(self.status, STATUS_LIMIT))

    def _text_is_safe(self) -> bool:
        """True when no text field needs cleaning or cutting (most payments: one check over all text)."""
        details = self.details
        if type(details) is not dict or len(details) > DETAILS_LIMIT:
            return False
        texts = ["" if text is None else text for text in _TEXT_FIELDS(self)]
        return (
            are_safe_lines([self.external_id, *texts, *details, *details.values()])
            and len(self.external_id) <= EXTERNAL_ID_LIMIT
            and all(map(operator.le, map(len, texts), _TEXT_LIMIT_VALUES))
            and max(map(len, details), default=0) <= DETAIL_KEY_LIMIT
            and max(map(len, details.values()), default=0) <= DETAIL_VALUE_LIMIT
        )

    def check_bounds(self) -> None:
        """Raise :class:`~payalert_core.InvalidPayment` when the amount, currency or time is out of range.

        Done at construction; a payment read back with :meth:`from_json` may fail it (it was
        stored under older bounds, or the clock moved), and the core checks it again at ingest.
        """
        if self.amount is not None:
            check_amount(self.amount)
        self._check_currency_and_time()

    def _check_currency_and_time(self) -> None:
        if self.currency is not None and not _is_currency_code(self.currency):
            shown = one_line(repr(self.currency), 40)
            raise InvalidPayment("currency", f"{shown} is not an upper-case code such as INR or USDT")
        check_time(self.occurred_at, latest_plausible_time())

    def _set(self, name: str, value: Any) -> None:
        """Store a checked or made-safe value (the dataclass is frozen); unchanged values are left alone."""
        if value is not getattr(self, name):
            object.__setattr__(self, name, value)

    @property
    def is_notice(self) -> bool:
        """True when this alert carries no amount (a warning or a status change)."""
        return self.amount is None

    def replace(self, **changes: Any) -> Payment:
        """A copy with some fields changed (for hooks that reshape a payment)."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        """Serialise losslessly (amount as a string, time in ISO-8601 with offset).

        Whatever else a source put in ``raw`` (a ``Decimal``, a ``datetime``) is stored as text.
        """
        fields = {
            "source": self.source,
            "kind": self.kind,
            "external_id": self.external_id,
            "amount": None if self.amount is None else str(self.amount),
            "currency": self.currency,
            "direction": self.direction.value,
            "occurred_at": _time_for_orjson(self.occurred_at),
            "title": self.title,
            "summary": self.summary,
            "counterparty": self.counterparty,
            "reference": self.reference,
            "link": self.link,
            "details": self.details,
            "raw": self.raw,
        }
        if self.identity is not None or self.status is not None:
            fields.update(identity=self.identity, status=self.status)
        try:  # orjson: about a fifth of the standard library's work, on every stored payment
            return orjson.dumps(fields, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        except orjson.JSONEncodeError:
            return _FALLBACK_ENCODER.encode(fields)

    @classmethod
    def from_json(cls, text: str) -> Payment:
        """Inverse of :meth:`to_json`, for payments payalert stored.

        A stored payment is read back as it was stored, its text made safe: the bounds on amount,
        currency and time are not applied again (it may predate them, and the clock may have been
        set back since). One outside them cannot be formatted (:func:`format_amount` refuses its
        amount), and its delivery sends the plain fallback alert instead.
        """
        data = json.loads(text)
        amount = data["amount"]
        token = _RESTORING.set(True)
        try:
            payment = cls(
                source=data["source"],
                kind=data["kind"],
                external_id=data["external_id"],
                amount=None if amount is None else Decimal(amount),
                currency=data["currency"],
                direction=Direction(data["direction"]),
                occurred_at=datetime.fromisoformat(data["occurred_at"]),
                title=data["title"],
                summary=data.get("summary", ""),
                counterparty=data.get("counterparty"),
                reference=data.get("reference"),
                link=data.get("link"),
                details=data.get("details") or {},
                raw=data.get("raw"),
                identity=data.get("identity"),
                status=data.get("status"),
            )
        finally:
            _RESTORING.reset(token)
        object.__setattr__(payment, "read_back", True)
        return payment


def _is_currency_code(currency: Any) -> bool:
    return isinstance(currency, str) and _CURRENCY.fullmatch(currency) is not None


def _time_for_orjson(moment: datetime) -> datetime | str:
    """orjson writes UTC offsets to the minute: an offset with seconds (old local mean times) goes as text."""
    offset = moment.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        return moment.isoformat()
    return moment


def format_amount(amount: Decimal, currency: str) -> str:
    """Human form of an amount, exact: thousands separated, two decimals or as many as it needs.

    ``1,250.50 INR``, ``0.0015 BTC``. Never rounded (a Decimal's ``normalize()`` would round past
    28 digits). Raises :class:`~payalert_core.InvalidPayment` for an amount outside the model's
    bounds (a stored payment may hold one), so no alert grows to a million digits.
    """
    check_amount(amount)
    places = max(2, decimal_places(amount))
    return f"{amount:,.{places}f} {currency}"
