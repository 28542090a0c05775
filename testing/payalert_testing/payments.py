"""Hypothesis strategies for payments, and what the core sends for one: for notifier authors' tests.

``accepted_payments()`` draws any payment the model accepts, with hostile text (control, bidi and
line-break characters, lone surrogates, very long values) and amounts and times at the edges of
the bounds. ``stored_payments()`` draws payments as :meth:`Payment.from_json` reads them back,
including values an older payalert may have stored outside today's bounds (``1E+1000000``, year
9999). :func:`render_or_fallback` is what the core does with each: the notifier's ``render``, or
the fallback alert's when that raises. A notifier passes when every accepted payment renders and
every stored one renders or falls back::

    @fuzz_settings(300)
    @given(payment=accepted_payments())
    def test_every_payment_renders(payment):
        _, fell_back = render_or_fallback(notifier, payment, "default")
        assert not fell_back
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from payalert_core import Direction, InvalidPayment, Notifier, Payment, fallback_alert
from payalert_core.bounds import EARLIEST_TIME, MAX_AMOUNT_DIGITS, MAX_DECIMAL_PLACES

#: Any character at all, surrogates and control characters included.
_ANY_CHARACTER = st.characters(exclude_categories=())
_NASTY = st.sampled_from(
    ["\n", "\r\n", "\x1b[2J", "\u202e", "\u2066", "\u2028", "\x85", "\x00", "\ud83d", "\t", "<b>", "&amp;"]
)
#: Text as a hostile sender writes it: any characters, injected controls, sometimes very long.
hostile_text = st.one_of(
    st.text(_ANY_CHARACTER, max_size=60),
    st.lists(st.one_of(_NASTY, st.text(max_size=8)), max_size=12).map("".join),
    st.integers(min_value=200, max_value=6000).map(lambda n: "x" * n),
)

_OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_CURRENCIES = st.sampled_from(["INR", "USD", "USDT", "BTC", "EUR", "X1"]) | st.from_regex(
    r"[A-Z0-9]{2,12}", fullmatch=True
)


def _in_range_amounts() -> st.SearchStrategy[Decimal]:
    digits = st.integers(min_value=1, max_value=10 ** (MAX_AMOUNT_DIGITS + MAX_DECIMAL_PLACES) - 1)
    return (
        st.tuples(digits, st.integers(min_value=0, max_value=MAX_DECIMAL_PLACES))
        .map(lambda pair: Decimal(pair[0]).scaleb(-pair[1]))
        .filter(lambda amount: amount.adjusted() < MAX_AMOUNT_DIGITS)
    )


def _in_range_times() -> st.SearchStrategy[datetime]:
    # The bounds are naive wall times, read in any offset down to -23:59: a wall time of now in
    # UTC is at most 23:59 ahead, inside the day the model allows, in every offset.
    latest = datetime.now(UTC)
    return st.datetimes(
        min_value=EARLIEST_TIME.replace(tzinfo=None) + timedelta(days=1),
        max_value=latest.replace(tzinfo=None),
        timezones=_OFFSETS,
    )


def _build(fields: dict[str, Any]) -> Payment | None:
    try:
        return Payment(**fields)
    except InvalidPayment:
        return None


@st.composite
def accepted_payments(draw: Any) -> Payment:
    """Any payment the model accepts: hostile text everywhere, amounts and times anywhere in range."""
    notice = draw(st.booleans())
    fields: dict[str, Any] = {
        "source": draw(hostile_text),
        "kind": draw(hostile_text),
        "external_id": draw(hostile_text.filter(bool)),
        "amount": None if notice else draw(_in_range_amounts()),
        "currency": None if notice else draw(_CURRENCIES),
        "direction": draw(st.sampled_from(list(Direction))),
        "occurred_at": draw(_in_range_times()),
        "title": draw(hostile_text),
        "summary": draw(hostile_text),
        "counterparty": draw(st.none() | hostile_text),
        "reference": draw(st.none() | hostile_text),
        "link": draw(st.none() | hostile_text | st.just("https://example.org/a?b=1&c=<d>")),
        "details": draw(st.dictionaries(hostile_text, hostile_text, max_size=40)),
    }
    payment = _build(fields)
    assert payment is not None, fields  # everything drawn is inside the bounds
    return payment


_STORED_AMOUNTS = st.one_of(
    _in_range_amounts().map(str),
    st.sampled_from(["1E+1000000", "1e999999", "-1E+1000000", "1E-1000000", "0", "-5", "NaN", "Infinity"]),
    st.tuples(st.integers(min_value=-(10**40), max_value=10**40), st.integers(-(10**7), 10**7)).map(
        lambda pair: f"{pair[0]}E{pair[1]}"
    ),
)
_STORED_TIMES = st.one_of(
    st.sampled_from(["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59+00:00"]),
    st.datetimes(timezones=_OFFSETS).map(lambda moment: moment.isoformat()),
)


@st.composite
def stored_payments(draw: Any) -> Payment:
    """A payment as ``Payment.from_json`` reads it back, amounts, times and currencies outside the bounds too."""
    notice = draw(st.booleans())
    document = {
        "source": draw(hostile_text),
        "kind": draw(hostile_text),
        "external_id": draw(hostile_text.filter(bool)),
        "amount": None if notice else draw(_STORED_AMOUNTS),
        "currency": None if notice else draw(_CURRENCIES | hostile_text),
        "direction": draw(st.sampled_from([d.value for d in Direction])),
        "occurred_at": draw(_STORED_TIMES),
        "title": draw(hostile_text),
        "summary": draw(hostile_text),
        "counterparty": draw(st.none() | hostile_text),
        "reference": draw(st.none() | hostile_text),
        "link": draw(st.none() | hostile_text),
        "details": draw(st.dictionaries(hostile_text, hostile_text, max_size=40)),
        "raw": None,
    }
    return Payment.from_json(json.dumps(document))


def render_or_fallback(notifier: Notifier, payment: Payment, target: str) -> tuple[Any, bool]:
    """What the core sends for ``payment``: ``(notifier.render(...), False)``, or the fallback's and True.

    Raises when not even :func:`~payalert_core.fallback_alert` renders: a lane could not move on.
    """
    try:
        return notifier.render(payment, target), False
    except Exception as error:
        fallback = fallback_alert(payment, f"cannot be shown ({type(error).__name__}: {error})")
        return notifier.render(fallback, target), True
