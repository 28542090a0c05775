"""The daily digest: one message per notifier and day adding up what the day brought.

It is stored in the outbox like an alert, under the id ``digest:<notifier>:<date>``, so it goes out
exactly once per day: a restart (even after ``kill -9`` at send time) finds it stored, or stores it
then, and the store refuses a second copy.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .configtypes import DigestConfig
from .lifecycle import ended_without_money
from .model import Direction, Payment, format_amount
from .store import Lane, Store

log = logging.getLogger("payalert.digest")

DIGEST_SOURCE = "payalert"
DIGEST_KIND = "payalert.digest"


@dataclass
class DaySummary:
    """What a day brought: totals, counts, notices still open, failed deliveries, problems."""

    received: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    sent: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    payments: int = 0
    open_notices: list[str] = field(default_factory=list)
    failed_deliveries: int = 0
    problems: list[str] = field(default_factory=list)


def summarise_day(payments: Iterable[Payment], failed_deliveries: int) -> DaySummary:
    """Add up a day's stored payments (oldest first); digests themselves are left out."""
    summary = DaySummary(failed_deliveries=failed_deliveries)
    latest: dict[tuple[str, str], Payment] = {}
    for payment in payments:
        if payment.kind == DIGEST_KIND:
            continue
        if payment.amount is not None and payment.currency is not None:
            summary.payments += 1
            totals = summary.received if payment.direction is Direction.IN else summary.sent
            if payment.direction is not Direction.NONE:
                totals[(payment.source, payment.currency)] += payment.amount
        if payment.identity is not None:
            latest[(payment.source, payment.identity)] = payment
    summary.open_notices = [
        payment.title
        for payment in latest.values()
        if payment.amount is None and not ended_without_money(payment.status)
    ]
    return summary


async def read_day(store: Store, start: datetime, end: datetime) -> DaySummary:
    """The summary of what was stored in ``[start, end)``, and of the deliveries that failed meanwhile."""
    payments = await store.payments_stored_between(start, end)
    return summarise_day(payments, await store.failed_deliveries_between(start, end))


def digest_payment(notifier: str, day: date, summary: DaySummary, at: datetime) -> Payment:
    """The digest as an alert (a notice: it adds up money, it moves none)."""
    details: dict[str, str] = {}
    for label, totals in (("Received", summary.received), ("Sent", summary.sent)):
        for (source, currency), amount in sorted(totals.items()):
            details[f"{label} ({source})"] = format_amount(amount, currency)
    for index, title in enumerate(summary.open_notices[:10], start=1):
        details[f"Still open {index}"] = title
    if summary.failed_deliveries:
        details["Failed deliveries"] = f"{summary.failed_deliveries} (see payalert deliveries)"
    for index, problem in enumerate(summary.problems[:5], start=1):
        details[f"Problem {index}"] = problem
    count = f"{summary.payments} payment{'s' if summary.payments != 1 else ''}"
    return Payment(
        source=DIGEST_SOURCE,
        kind=DIGEST_KIND,
        external_id=f"digest:{notifier}:{day.isoformat()}",
        amount=None,
        currency=None,
        direction=Direction.NONE,
        occurred_at=at,
        title=f"Daily digest, {day.day} {day:%b %Y}: {count}",
        summary=_totals_line(summary) or "no money moved",
        details=details,
        raw=json.loads(json.dumps({"day": day.isoformat(), "notifier": notifier})),
    )


def _totals_line(summary: DaySummary) -> str:
    by_currency: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for label, totals in (("received", summary.received), ("sent", summary.sent)):
        for (_, currency), amount in totals.items():
            by_currency[(label, currency)] += amount
    return ", ".join(
        f"{label} {format_amount(amount, currency)}"
        for (label, currency), amount in sorted(by_currency.items())
    )


class DigestSender:
    """Stores one notifier's digest in its lanes when due: on its cron time, and at start-up if missed."""

    def __init__(
        self,
        notifier: str,
        config: DigestConfig,
        store: Store,
        lanes: Sequence[Lane],
        wake: Callable[[], None],
        status: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
    ) -> None:
        self.notifier = notifier
        self.config = config
        self.store = store
        self.lanes = list(lanes)
        self.wake = wake
        self.status = status

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        """Run :meth:`send_due` every day at ``at`` in ``timezone`` (APScheduler's cron trigger)."""
        at = self.config.time_of_day
        scheduler.add_job(
            self.send_due,
            "cron",
            hour=at.hour,
            minute=at.minute,
            second=at.second,
            timezone=ZoneInfo(self.config.timezone),
            id=f"digest:{self.notifier}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    async def send_due(self, catching_up: bool = False) -> None:
        """Store the digest of the day last due, unless it is stored already (then nothing happens).

        ``catching_up`` (at start-up): only when payalert was already in use before that time, so a
        first start never sends an empty digest for the day before.
        """
        now = datetime.now(UTC)
        day = self.config.last_due(now)
        start, end = self.config.day_bounds(day)
        if catching_up and not await self.store.stored_before(end):
            return
        summary = await read_day(self.store, start, end)
        _, document = await self.status()
        summary.problems = day_problems(document, start)
        stored = await self.store.ingest([digest_payment(self.notifier, day, summary, now)], self.lanes, {})
        if stored.new_event_ids:
            log.info("digest of %s for %s stored for sending", day.isoformat(), self.notifier)
            self.wake()


def day_problems(document: dict[str, Any], since: datetime) -> list[str]:
    """Each source's and notifier's last error, when it happened after ``since``."""
    problems = []
    for group in ("sources", "notifiers"):
        for name, entry in (document.get(group) or {}).items():
            failed = entry.get("last_failure")
            if failed and entry.get("last_error") and datetime.fromisoformat(failed) >= since:
                problems.append(f"{name}: {entry['last_error']}")
    return problems
