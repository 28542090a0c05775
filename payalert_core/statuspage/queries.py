"""Everything the status page reads from the store, through a few named store methods.

Each read uses an index (``tests/test_statuspage_queries.py`` checks their query plans): the newest
payments by id, money per day from the covering index of amounts by time (notices are not in it),
deliveries not yet sent from the partial index of the outbox, and cursors by owner.
"""

from __future__ import annotations

import bisect
import copy
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from ..model import Payment
from ..store import Store

#: How many payments the page lists.
RECENT_PAYMENTS = 50
#: How many days (today included) the totals and the chart cover.
DAYS = 30


@dataclass
class CurrencyTotals:
    """Money received and sent in one currency: per day (oldest first), today, and over all the days."""

    currency: str
    received_per_day: list[Decimal] = field(default_factory=lambda: [Decimal(0)] * DAYS)
    sent_per_day: list[Decimal] = field(default_factory=lambda: [Decimal(0)] * DAYS)

    @property
    def received_today(self) -> Decimal:
        """Received since midnight."""
        return self.received_per_day[-1]

    @property
    def sent_today(self) -> Decimal:
        """Sent since midnight."""
        return self.sent_per_day[-1]

    @property
    def received(self) -> Decimal:
        """Received over the whole period."""
        return sum(self.received_per_day, Decimal(0))

    @property
    def sent(self) -> Decimal:
        """Sent over the whole period."""
        return sum(self.sent_per_day, Decimal(0))


@dataclass(frozen=True)
class NotifierDeliveries:
    """One notifier's deliveries not yet sent."""

    waiting: int = 0  # pending, never tried yet
    retrying: int = 0  # pending after a failed attempt
    failed: int = 0  # given up on, kept for retry-failed


def day_starts(today: date, zone: tzinfo) -> list[float]:
    """Epoch seconds of each of the ``DAYS`` local midnights up to ``today``, oldest first."""
    first = today - timedelta(days=DAYS - 1)
    return [
        datetime.combine(first + timedelta(days=offset), time(0), tzinfo=zone).timestamp()
        for offset in range(DAYS)
    ]


class MoneyTally:
    """Received and sent per currency for each of the last ``DAYS`` days, kept between page renders.

    The first render of a day reads the whole period (one covering index); later ones read only
    the payments stored since, by id, and add them: stored payments never change, so the totals
    stay exact. A new day, or another time zone, counts again from the start.
    """

    def __init__(self) -> None:
        self._period: tuple[date, str] | None = None
        self._starts: list[float] = []
        self._last_id = 0
        self._found: dict[str, CurrencyTotals] = {}

    async def per_day(self, store: Store, today: date, zone: tzinfo) -> list[CurrencyTotals]:
        """The totals up to ``today`` in ``zone``, by most received.

        Counted by each payment's ``occurred_at``; a payment dated after today (a clock ahead)
        counts today. Notices never count: they carry no amount, or no direction.
        """
        period = (today, str(zone))
        if period != self._period:
            self._period, self._starts, self._last_id, self._found = period, day_starts(today, zone), 0, {}
        read = await store.transfers_since(self._starts[0], after_id=self._last_id)
        self._add(self._found, read.rows)
        self._last_id = read.last_id
        found = self._found
        if read.unsettled:  # counted in this render only: a later read returns them again
            found = copy.deepcopy(self._found)
            self._add(found, read.unsettled)
        return sorted(found.values(), key=lambda totals: (-totals.received, totals.currency))

    def _add(self, found: dict[str, CurrencyTotals], rows: Iterable[tuple[float, str, str, str]]) -> None:
        for occurred, direction, currency, amount in rows:
            totals = found.get(currency)
            if totals is None:
                totals = found[currency] = CurrencyTotals(currency)
            column = totals.received_per_day if direction == "in" else totals.sent_per_day
            column[bisect.bisect_right(self._starts, occurred) - 1] += Decimal(amount)


async def deliveries_by_notifier(store: Store) -> dict[str, NotifierDeliveries]:
    """Per notifier: deliveries waiting for a first attempt, being retried, and failed."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"waiting": 0, "retrying": 0, "failed": 0})
    for notifier, status, tried, count in await store.unsent_deliveries():
        if status == "failed":
            counts[notifier]["failed"] += count
        elif status == "pending":
            counts[notifier]["retrying" if tried else "waiting"] += count
    return {notifier: NotifierDeliveries(**row) for notifier, row in counts.items()}


async def cursor_times(store: Store) -> dict[str, datetime]:
    """Per source name, when its cursor (or other state) was last saved."""
    prefix = "source:"
    written = await store.state_written(prefix)
    return {owner[len(prefix) :]: datetime.fromisoformat(when) for owner, when in written.items()}


async def recent_payments(store: Store) -> list[Payment]:
    """The newest ``RECENT_PAYMENTS`` payments, newest first."""
    return await store.recent_payments(RECENT_PAYMENTS)
