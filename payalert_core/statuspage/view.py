"""What the status page shows, gathered from the daemon and the store into plain values for the template.

Only what a person needs: states, times, counts, amounts and payment titles. No config value, no
raw payload, and every error text goes through the config's redactor first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from ..bounds import InvalidPayment, decimal_places
from ..health import HealthRecord
from ..model import Direction, Payment, format_amount
from ..store import Store
from . import queries
from .chart import Bar, bars
from .queries import CurrencyTotals, NotifierDeliveries

#: How many currencies get a chart of their own (the ones that received most).
CHARTED_CURRENCIES = 4
_SIGNS = {Direction.IN: "+", Direction.OUT: "−", Direction.NONE: ""}


class StatusHost(Protocol):
    """What the page reads from the running daemon."""

    store: Store
    source_health: dict[str, HealthRecord]
    notifier_health: dict[str, HealthRecord]

    def next_poll(self, source: str) -> datetime | None:
        """When a polled source runs next (None for other kinds)."""
        ...


@dataclass(frozen=True)
class SourceRow:
    """One source as the page lists it."""

    name: str
    kind: str
    state: str
    reason: str | None
    last_success: str
    next_poll: str
    cursor_age: str


@dataclass(frozen=True)
class NotifierRow:
    """One notifier as the page lists it."""

    name: str
    state: str
    deliveries: NotifierDeliveries
    last_error: str | None
    last_failure: str


@dataclass(frozen=True)
class PaymentRow:
    """One payment as the page lists it."""

    when: str
    source: str
    amount: str
    direction: str
    title: str
    counterparty: str
    status: str


@dataclass(frozen=True)
class TotalsRow:
    """One currency's totals and, for the first few, its chart."""

    currency: str
    received_today: str
    sent_today: str
    received: str
    sent: str
    chart: list[Bar] | None


@dataclass(frozen=True)
class StatusView:
    """Everything the template draws."""

    rendered_at: str
    timezone: str
    sources: list[SourceRow]
    notifiers: list[NotifierRow]
    payments: list[PaymentRow]
    totals: list[TotalsRow]
    days: int


async def build_view(
    host: StatusHost, timezone: str, redact: Callable[[str], str], tally: queries.MoneyTally
) -> StatusView:
    """Read the daemon's state and the store once, and lay it out for the page."""
    zone = ZoneInfo(timezone)
    now = datetime.now(UTC)
    clock = _Clock(now, zone)
    today = now.astimezone(zone).date()
    cursors = await queries.cursor_times(host.store)
    deliveries = await queries.deliveries_by_notifier(host.store)
    totals = await tally.per_day(host.store, today, zone)
    payments = await queries.recent_payments(host.store)
    return StatusView(
        rendered_at=clock.moment(now.timestamp()),
        timezone=timezone,
        sources=[
            _source_row(name, record, host.next_poll(name), cursors.get(name), clock, redact)
            for name, record in sorted(host.source_health.items())
        ],
        notifiers=[
            _notifier_row(name, record, deliveries.get(name, queries.NotifierDeliveries()), clock, redact)
            for name, record in sorted(host.notifier_health.items())
        ],
        payments=[_payment_row(payment, clock) for payment in payments],
        totals=[
            _totals_row(currency_totals, today, charted=index < CHARTED_CURRENCIES)
            for index, currency_totals in enumerate(totals)
        ],
        days=queries.DAYS,
    )


class _Clock:
    """Times as the page writes them: local to the page's zone, and ages in words."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.now = now
        self.zone = zone

    def moment(self, timestamp: float | None) -> str:
        if timestamp is None:
            return "never"
        return datetime.fromtimestamp(timestamp, self.zone).strftime("%Y-%m-%d %H:%M:%S")

    def date_time(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def age(self, moment: datetime | None) -> str:
        if moment is None:
            return "none saved"
        return f"{_duration((self.now - moment).total_seconds())} ago"

    def until(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        seconds = (moment - self.now).total_seconds()
        return "due now" if seconds <= 0 else f"in {_duration(seconds)}"


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def source_state(record: HealthRecord, now: float) -> tuple[str, str | None]:
    """``ok``, ``stale``, ``disconnected`` or ``failing``, with the reason ``/health`` gives."""
    kind = record.problem_kind(now)
    if kind is not None:
        return kind, record.problem(now)
    if record.latest_attempt_failed():
        return "failing", record.last_error
    return "ok", None


def _source_row(
    name: str,
    record: HealthRecord,
    next_poll: datetime | None,
    cursor_saved: datetime | None,
    clock: _Clock,
    redact: Callable[[str], str],
) -> SourceRow:
    state, reason = source_state(record, clock.now.timestamp())
    return SourceRow(
        name=name,
        kind=record.kind,
        state=state,
        reason=None if reason is None else redact(reason),
        last_success=clock.moment(record.last_success),
        next_poll=clock.until(next_poll),
        cursor_age=clock.age(cursor_saved),
    )


def _notifier_row(
    name: str,
    record: HealthRecord,
    deliveries: NotifierDeliveries,
    clock: _Clock,
    redact: Callable[[str], str],
) -> NotifierRow:
    state = "failing" if record.latest_attempt_failed() else "ok"
    return NotifierRow(
        name=name,
        state=state,
        deliveries=deliveries,
        last_error=None if record.last_error is None else redact(record.last_error),
        last_failure=clock.moment(record.last_failure),
    )


def payment_status(payment: Payment) -> str:
    """The status the alert told (``pending``, ``buyer paid``…), else ``notice`` or ``completed``.

    Money counts only once it is completed, so a payment with an amount is ``completed`` unless
    its source said otherwise; a message without money is a ``notice``.
    """
    if payment.status is not None:
        return payment.status
    return "notice" if payment.is_notice or payment.direction is Direction.NONE else "completed"


def _payment_row(payment: Payment, clock: _Clock) -> PaymentRow:
    amount = ""
    if payment.amount is not None and payment.currency is not None:
        try:
            amount = _SIGNS[payment.direction] + format_amount(payment.amount, payment.currency)
        except InvalidPayment:  # stored under older bounds: shown without its amount, as alerts do
            amount = "(amount not shown)"
    return PaymentRow(
        when=clock.date_time(payment.occurred_at),
        source=payment.source,
        amount=amount,
        direction=payment.direction.value,
        title=payment.title,
        counterparty=payment.counterparty or "",
        status=payment_status(payment),
    )


def money(amount: Decimal, currency: str) -> str:
    """A total, exact, with thousands separated (``0.00 INR`` when nothing moved)."""
    return f"{amount:,.{max(2, decimal_places(amount))}f} {currency}"


def _totals_row(totals: CurrencyTotals, today: date, charted: bool) -> TotalsRow:
    chart = bars(totals.received_per_day, today, totals.currency) if charted and totals.received else None
    return TotalsRow(
        currency=totals.currency,
        received_today=money(totals.received_today, totals.currency),
        sent_today=money(totals.sent_today, totals.currency),
        received=money(totals.received, totals.currency),
        sent=money(totals.sent, totals.currency),
        chart=chart,
    )
