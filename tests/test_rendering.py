"""For any payment, every built-in notifier renders it, or renders the fallback alert in its place.

Accepted payments (anything the model lets in) must render as themselves; stored ones (read back,
perhaps from before today's bounds) may fall back, and only when they are outside the bounds.
What is rendered can neither forge a line nor reach the terminal as a control sequence.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from payalert_testing import MemoryNotifierRuntime
from payalert_testing.fuzzing import fuzz_settings
from payalert_testing.payments import accepted_payments, render_or_fallback, stored_payments
from payalert_testing.telegram_api import TOKEN

from payalert_core import InvalidPayment, Payment, fallback_alert, plain_lines
from payalert_core.bounds import check_amount
from payalert_core.notifiers.console import ConsoleConfig, ConsoleNotifier
from payalert_core.notifiers.telegram import TelegramNotifier
from payalert_core.notifiers.telegram_config import TelegramConfig
from payalert_core.notifiers.telegram_html import MESSAGE_LIMIT, check_markup, visible_len

#: The most messages one payment may become in Telegram (every field at its longest).
MOST_TELEGRAM_MESSAGES = 4
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def console() -> ConsoleNotifier:
    return ConsoleNotifier("console", ConsoleConfig(type="console", timezone="Asia/Kolkata"), None)


def telegram(templates: dict[str, str] | None = None) -> TelegramNotifier:
    config = TelegramConfig(
        type="telegram",
        token=TOKEN,
        destinations=[111],
        timezone="Pacific/Kiritimati",  # UTC+14: the edge where a year-9999 time overflows
        commands=False,
        templates=templates or {},
    )
    return TelegramNotifier.create("tg", config, MemoryNotifierRuntime())


NOTIFIERS = {
    "console": console,
    "telegram": telegram,
    "telegram with a template": lambda: telegram(
        {"*": "{icon} {money} {counterparty}\n{details}\n{link_html}"}
    ),
}


def within_bounds(payment: Payment) -> bool:
    try:
        payment.check_bounds()
    except InvalidPayment:
        return False
    return True


def assert_safe(name: str, payment: Payment, rendered: object) -> None:
    """One line per field, no control or bidi-override character, Telegram's limits kept."""
    if name == "console":
        assert isinstance(rendered, str) and not _CONTROL.search(rendered), rendered
        expected_lines = 1 + bool(payment.summary) + len(plain_lines(payment))
        assert rendered.count("\n") + 1 == expected_lines  # no value added a line
    else:
        assert isinstance(rendered, list) and 1 <= len(rendered) <= MOST_TELEGRAM_MESSAGES
        for message in rendered:
            check_markup(message)
            assert visible_len(message) <= MESSAGE_LIMIT and not _CONTROL.search(message)


@pytest.mark.parametrize("name", NOTIFIERS)
def test_every_accepted_payment_renders_as_itself(name: str) -> None:
    notifier = NOTIFIERS[name]()

    @fuzz_settings(300)
    @given(payment=accepted_payments())
    def check(payment: Payment) -> None:
        rendered, fell_back = render_or_fallback(notifier, payment, "111")
        assert not fell_back, payment
        assert_safe(name, payment, rendered)

    check()


def amount_within_bounds(payment: Payment) -> bool:
    try:
        check_amount(payment.amount) if payment.amount is not None else None
    except InvalidPayment:
        return False
    return True


@pytest.mark.parametrize("name", NOTIFIERS)
def test_every_stored_payment_renders_or_falls_back_only_when_out_of_bounds(name: str) -> None:
    notifier = NOTIFIERS[name]()
    fallbacks: list[str] = []

    @fuzz_settings(300)
    @given(payment=stored_payments())
    def check(payment: Payment) -> None:
        rendered, fell_back = render_or_fallback(notifier, payment, "111")
        if not amount_within_bounds(payment):
            assert fell_back  # never a million-digit alert
        elif within_bounds(payment):
            assert not fell_back, payment
        if fell_back:
            fallbacks.append(payment.external_id)
        assert_safe(name, fallback_alert(payment, "x") if fell_back else payment, rendered)

    check()
    assert fallbacks  # the strategy does reach beyond the bounds


def stored(amount: str, occurred_at: str) -> Payment:
    """A payment as an older payalert could have stored it."""
    document = {
        "source": "shop",
        "kind": "webhook.payment",
        "external_id": "poison",
        "amount": amount,
        "currency": "INR",
        "direction": "in",
        "occurred_at": occurred_at,
        "title": "Order paid",
    }
    return Payment.from_json(json.dumps(document))


@pytest.mark.parametrize(
    ("amount", "occurred_at"),
    [
        ("1E+1000000", "2026-01-01T00:00:00+00:00"),
        ("1e999999", "2026-01-01T00:00:00+00:00"),
        ("5", "9999-12-31T23:59:59-14:00"),
        ("5", "0001-01-01T00:00:00+14:00"),
    ],
)
@pytest.mark.parametrize("name", NOTIFIERS)
def test_the_payloads_that_blocked_every_lane_now_fall_back(name: str, amount: str, occurred_at: str) -> None:
    rendered, fell_back = render_or_fallback(NOTIFIERS[name](), stored(amount, occurred_at), "111")
    assert fell_back
    text = rendered if isinstance(rendered, str) else "\n".join(rendered)
    assert "cannot be shown" in text and "shop" in text


def test_the_plain_fallback_is_short_whatever_it_stands_in_for() -> None:
    payment = stored("1" * 10_000, "2026-01-01T00:00:00+00:00").replace(amount=None, currency=None)
    huge = payment.replace(source="s" * 500, external_id="e" * 5000, kind="k" * 900)
    fallback = fallback_alert(stored("9" * 100_000, "2026-01-01T00:00:00+00:00"), "E" * 100_000)
    assert len(fallback.to_json()) < 3000 and len(fallback_alert(huge, "x").to_json()) < 3000
    assert fallback.details["Amount as stored"].endswith("…")
