"""What a payment may hold: the limits every source meets at the door, applied by the model itself.

Numbers and times have no safe stand-in, so a value out of range is refused with
:class:`InvalidPayment`, which names the field. Text is made safe instead of refused: one line,
no control or bidi-override characters, bounded length. Nothing downstream (formatting, storing,
sending) then has to guard against a value that could break it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

#: Amounts are positive and below this (in the payment's currency).
MAX_AMOUNT_DIGITS = 15
MAX_AMOUNT = Decimal(10) ** MAX_AMOUNT_DIGITS
#: At most this many decimal places (18: the smallest unit of most crypto tokens).
MAX_DECIMAL_PLACES = 18
#: The earliest time a payment may have happened.
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_STAMP = EARLIEST_TIME.timestamp()
#: How far in the future a payment's time may lie (clocks differ; no payment happens tomorrow).
FUTURE_TOLERANCE = timedelta(days=1)

#: Longest text (in characters) each one-line field keeps; longer text is cut and ends with "…".
TEXT_LIMITS: Mapping[str, int] = {
    "source": 128,
    "kind": 128,
    "title": 256,
    "summary": 1024,
    "counterparty": 256,
    "reference": 256,
    "link": 2048,
}
#: ``external_id`` is the dedupe key: a longer (or unsafe) one is shortened with a hash of it, kept unique.
EXTERNAL_ID_LIMIT = 256
#: ``details``: at most this many entries, each key and value cut like the fields above.
DETAILS_LIMIT = 32
DETAIL_KEY_LIMIT = 128
DETAIL_VALUE_LIMIT = 256

#: Line breaks of every kind (CR, LF, VT, FF, NEL, the Unicode line and paragraph separators) and tabs.
_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"
#: What one-line text must not hold: control characters (C0, DEL, C1), bidi embeddings, overrides
#: and isolates (U+202A-U+202E, U+2066-U+2069), which could reverse how the rest of a line reads,
#: and lone surrogates, which no encoding can write.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_BREAK_RUN = re.compile(f"[{_BREAKS}]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidPayment(ValueError):
    """A payment value payalert refuses to store; ``field`` names it (``amount``, ``occurred_at``…)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def has_lone_surrogate(text: str) -> bool:
    """True when ``text`` holds half of a UTF-16 pair (e.g. a JSON ``"\\ud83d"``): not valid Unicode."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def one_line(value: Any, limit: int) -> str:
    """``value`` as safe one-line text of at most ``limit`` characters.

    Line breaks and tabs become one space, other control and bidi-override characters are dropped,
    a lone surrogate becomes U+FFFD, and text over ``limit`` is cut, ending with "…".
    """
    text = value if isinstance(value, str) else str(value)
    if _UNSAFE.search(text) is not None:
        text = _UNSAFE.sub(_replacement, _BREAK_RUN.sub(" ", text))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def are_safe_lines(texts: list[Any]) -> bool:
    """True when every value is text with nothing :func:`one_line` would change but its length."""
    try:
        joined = "".join(texts)  # one check for all: the common case, nothing to clean
    except TypeError:  # a value that is not text
        return False
    return joined.isprintable() or _UNSAFE.search(joined) is None  # isprintable: fast, but stricter


def _replacement(match: re.Match[str]) -> str:
    return "\ufffd" if "\ud800" <= match.group() <= "\udfff" else ""


def safe_external_id(value: Any) -> str:
    """The dedupe key as safe text: unchanged when it already is, else a readable prefix and a hash."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= EXTERNAL_ID_LIMIT and _UNSAFE.search(text) is None:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{one_line(text, EXTERNAL_ID_LIMIT - 40).rstrip('…')}…sha256:{digest}"


def safe_details(details: Mapping[Any, Any]) -> dict[str, str]:
    """At most ``DETAILS_LIMIT`` entries, each key and value made safe one-line text."""
    safe: dict[str, str] = {}
    for key, value in details.items():
        if len(safe) == DETAILS_LIMIT:
            break
        safe[one_line(key, DETAIL_KEY_LIMIT)] = one_line(value, DETAIL_VALUE_LIMIT)
    return safe


def check_amount(amount: Decimal) -> None:
    """Raise :class:`InvalidPayment` unless ``amount`` is finite, positive and in range.

    Only comparisons and the digit tuple are used, so even ``1E+1000000`` is refused without any
    arithmetic on it.
    """
    admitted_amount(amount)


def admitted_amount(amount: Decimal) -> Decimal:
    """``amount`` checked as :func:`check_amount` does, written with at most 18 decimal places.

    Only trailing zeros are dropped (``2.5000…0`` with 24 places becomes ``2.500…0`` with 18).
    """
    if not amount.is_finite():
        raise InvalidPayment("amount", f"must be a finite number, not {amount}")
    if amount <= 0:
        raise InvalidPayment("amount", "must be more than 0 (the direction says which way it moved)")
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise InvalidPayment("amount", f"must be less than 10^{MAX_AMOUNT_DIGITS}")
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite
    excess = -MAX_DECIMAL_PLACES - exponent
    if excess <= 0:
        return amount
    if decimal_places(amount) > MAX_DECIMAL_PLACES:
        raise InvalidPayment("amount", f"has more than {MAX_DECIMAL_PLACES} decimal places")
    return Decimal((sign, digits[: len(digits) - excess], -MAX_DECIMAL_PLACES))


def decimal_places(amount: Decimal) -> int:
    """How many decimal places ``amount`` needs to be written exactly (``1.50`` needs 1, ``100`` none)."""
    _, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int) or not any(digits):
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def check_time(moment: datetime, latest: datetime | None) -> None:
    """Raise :class:`InvalidPayment` unless ``moment`` is tz-aware, after 1970 and not after ``latest``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidPayment("occurred_at", "must be timezone-aware")
    stamp = moment.timestamp()  # plain numbers compare faster than aware times, and never overflow
    if stamp < _EARLIEST_STAMP:
        raise InvalidPayment("occurred_at", f"{moment.isoformat()} is before 1970")
    if latest is not None and stamp > latest.timestamp():
        raise InvalidPayment("occurred_at", f"{moment.isoformat()} is in the future")


def latest_plausible_time(now: datetime | None = None) -> datetime:
    """The latest time a payment may have now: a day from now, for clocks that differ."""
    return (now or datetime.now(UTC)) + FUTURE_TOLERANCE


def is_plausible_time(moment: datetime, now: datetime | None = None) -> bool:
    """True for a tz-aware time from 1970 to a day from now: what a payment's time may be."""
    try:
        check_time(moment, latest_plausible_time(now))
    except InvalidPayment:
        return False
    return True
