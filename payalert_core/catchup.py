"""Catch-up after downtime: one line before the alerts of payments that arrived while payalert was down.

The daemon saves a heartbeat (the time it was last alive) every half minute. At start, a heartbeat
older than ``catch_up_after`` means payalert was down: a notice is stored at once, ahead of anything
the first polls find, and deliveries wait until every polled source has polled once (bounded). Then
the notice says how many payments dated inside the gap arrived (``payalert was down 3 h 12 min;
14 payments arrived meanwhile``) and goes first; when none did, it is not sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from .health import HealthRecord
from .model import Direction, Payment
from .store import Lane, Store

log = logging.getLogger("payalert.catchup")

OWNER, KEY = "payalert", "alive"
#: How often the heartbeat is saved (seconds): the downtime is known to this precision.
HEARTBEAT_SECONDS = 30.0
CATCH_UP_KIND = "payalert.catch_up"


def downtime_text(seconds: float) -> str:
    """``3 h 12 min``, ``12 min``, ``40 s``, ``2 d 1 h``: how long payalert was down."""
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    days, hour = divmod(hours, 24)
    if days:
        return f"{days} d {hour} h"
    if hours:
        return f"{hours} h {minute} min"
    return f"{minutes} min" if minutes else f"{second} s"


class CatchUp:
    """Finds a downtime at start, holds deliveries through the first polls, then says what it missed."""

    def __init__(self, store: Store, after_seconds: float) -> None:
        self.store = store
        self.after_seconds = after_seconds
        self.gap: tuple[float, float] | None = None
        self._notice_event: int | None = None
        self._last_event = 0
        self._resolved = False  # until then the heartbeat stays where the downtime began

    async def begin(self, lanes: Sequence[Lane]) -> bool:
        """At process start: True when payalert was down longer than allowed (a notice is stored)."""
        alive = await self.store.load_state(OWNER, KEY)
        now = time.time()
        if not isinstance(alive, (int, float)) or now - alive <= self.after_seconds:
            self._resolved = True
            await self.beat()
            return False
        self.gap = (float(alive), now)
        self._last_event = await self.store.last_event_id()
        notice = Payment(
            source=OWNER,
            kind=CATCH_UP_KIND,
            external_id=f"catch-up:{alive}",
            amount=None,
            currency=None,
            direction=Direction.NONE,
            occurred_at=datetime.fromtimestamp(now, UTC),
            title=f"payalert was down {downtime_text(now - alive)}",
            details={"Down since": datetime.fromtimestamp(alive, UTC).isoformat(timespec="seconds")},
        )
        await self.store.ingest([notice], lanes, {})  # a restart during the catch-up finds it stored
        self._notice_event = await self.store.event_id(OWNER, notice.external_id)
        log.info("payalert was down %s; deliveries wait for the first polls", downtime_text(now - alive))
        return True

    async def finish(self, polled: Sequence[HealthRecord], wait_seconds: float) -> None:
        """Wait (at most ``wait_seconds``) for every polled source's first poll, then complete the notice."""
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline and not all(_polled_once(health) for health in polled):
            await asyncio.sleep(0.2)
        assert self.gap is not None and self._notice_event is not None
        start, end = self.gap
        count = _arrived_meanwhile(await self.store.payments_after(self._last_event), start, end)
        notice_id = self._notice_event
        if count:
            text = f"payalert was down {downtime_text(end - start)}; {count} payment"
            text += f"{'s' if count != 1 else ''} arrived meanwhile"
            await self.store.retitle_event(notice_id, text)
        else:
            for delivery in await self.store.deliveries(["pending"]):
                if delivery.event_id == notice_id:
                    await self.store.mark_sent(delivery.id)  # nothing arrived: nothing to say
        log.info("catch-up: %d payment(s) arrived while payalert was down", count)
        self._resolved = True
        await self.beat()

    async def beat(self) -> None:
        """Save the time payalert is alive now (not while a downtime is still being caught up)."""
        if self._resolved:
            await self.store.save_state(OWNER, KEY, time.time())

    async def keep_beating(self, stopping: Callable[[], bool]) -> None:
        """Save the heartbeat every half minute until ``stopping()``."""
        while not stopping():
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.beat()
            except Exception as error:  # a full disk, say: the next beat tries again
                log.warning("saving the heartbeat failed (%s)", error)


def _polled_once(health: HealthRecord) -> bool:
    return health.last_success is not None or health.last_failure is not None


def _arrived_meanwhile(payments: Sequence[Payment], start: float, end: float) -> int:
    """Payments (not payalert's own notices) dated inside the downtime."""
    return sum(
        1
        for payment in payments
        if payment.source != OWNER and start <= payment.occurred_at.timestamp() <= end
    )
