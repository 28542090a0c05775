"""Delivery: one worker per notifier target sends pending alerts in order and retries failures.

No single delivery can hold a lane for good. A temporary failure is retried with bounded backoff
(holding the deliveries behind it, so order is kept); a permanent one is recorded as failed and
the lane moves on. A payment the notifier cannot show (its ``render`` raises: an amount or time
no formatting can handle) is permanent at once: a plain fallback alert goes in its place and the
delivery is recorded as failed, listed by ``payalert deliveries`` and counted in ``/health``.

With several nodes sharing a store, a worker sends only while its node holds the lane (a lease the
store keeps); the other nodes' workers for that lane stand by and take over when the lease lapses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from .backoff import backoff_delay
from .bounds import one_line
from .config import DeliverySettings
from .errors import PermanentFailure, RetryLater
from .fallback import fallback_alert
from .health import HealthRecord
from .lifecycle import StatusUpdate
from .metrics import Metrics
from .model import Payment
from .notifier import Notifier
from .store import Delivery, Lane, Store, is_storage_error

log = logging.getLogger("payalert.delivery")

#: How often an idle worker looks for work it was not woken for (``payalert retry-failed``).
IDLE_RECHECK_SECONDS = 2.0
#: How much of a formatting error is kept as a delivery's reason.
PROBLEM_LIMIT = 300


class LaneWorker:
    """Sends one lane's deliveries strictly in order: a delivery waiting to be retried holds the others."""

    def __init__(
        self,
        lane: Lane,
        notifier: Notifier,
        store: Store,
        settings: DeliverySettings,
        metrics: Metrics,
        health: HealthRecord,
    ) -> None:
        self.lane = lane
        self.notifier = notifier
        self.store = store
        self.settings = settings
        self.metrics = metrics
        self.health = health
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """New work may be waiting."""
        self._wakeup.set()

    def stop(self) -> None:
        """Finish the send in flight, then return from :meth:`run`."""
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        """Deliver until stopped."""
        while not self._stopping:
            self._wakeup.clear()
            try:
                batch = await self.store.claim(self.lane)
            except Exception as error:  # a database outage is logged once by the store: no traceback
                log.warning(
                    "reading the outbox of %s failed (%s); trying again",
                    self.lane,
                    error,
                    exc_info=not is_storage_error(error),
                )
                await self._sleep(IDLE_RECHECK_SECONDS)
                continue
            if not batch:  # nothing to send, or another node holds the lane
                await self._sleep(IDLE_RECHECK_SECONDS)
                continue
            try:
                await self._work_through(batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # recording an outcome failed: keep the lane alive and look again
                log.exception("delivering on %s failed; trying again", self.lane)
                await self._sleep(IDLE_RECHECK_SECONDS)

    async def _work_through(self, batch: list[Delivery]) -> None:
        """Send ``batch`` in order until one must wait (a retry) or the lane stops."""
        for delivery in batch:
            if self._stopping or not self.store.holds(self.lane):
                return
            wait = delivery.next_attempt_at - time.time()
            if wait > 0:
                await self._sleep(wait)
                return  # re-read: a retry-failed or a wake-up may have changed the order
            if not await self._attempt(delivery):
                return

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)

    async def _attempt(self, delivery: Delivery) -> bool:
        """Send once; True when the lane may move on to the next delivery.

        A payment the notifier cannot show is replaced by the fallback alert, sent (and retried)
        like any alert; once it went, the delivery is recorded as failed with the reason.
        """
        give_up = self.settings.give_up_after
        first = delivery.first_attempt_at
        if give_up is not None and first is not None and time.time() - first > give_up.total_seconds():
            await self._fail(
                delivery, f"gave up after retrying for {give_up}; last error: {delivery.last_error}"
            )
            return True
        payment, unshowable = delivery.payment, self._unshowable(delivery.payment, delivery.target)
        if unshowable is not None:
            payment = fallback_alert(delivery.payment, unshowable)
            if (also := self._unshowable(payment, delivery.target)) is not None:
                await self._fail(
                    delivery, f"{unshowable}; nor can the plain alert standing in for it ({also})"
                )
                return True
        try:
            update = None if unshowable is not None else await self._status_update(delivery)
            if update is None:
                await self.notifier.send(payment, delivery.target)
            else:
                await self.notifier.send_update(update, delivery.target)
        except PermanentFailure as error:
            await self._fail(delivery, _reason(unshowable, str(error)))
            return True
        except RetryLater as error:
            await self._retry(delivery, _reason(unshowable, error.reason), error.retry_after)
            return False
        except asyncio.CancelledError:
            raise
        except Exception as error:  # an unexpected error from a notifier is treated as temporary
            log.warning(
                "notifier %s raised %s: %s", self.lane.notifier, type(error).__name__, error, exc_info=True
            )
            await self._retry(delivery, _reason(unshowable, f"{type(error).__name__}: {error}"), None)
            return False
        if unshowable is not None:
            await self._fail(delivery, f"{unshowable}; a plain alert saying a payment arrived went instead")
            return True
        await self.store.mark_sent(delivery.id)
        self.metrics.deliveries.labels(self.lane.notifier, "sent").inc()
        self.health.succeeded()
        return True

    async def _status_update(self, delivery: Delivery) -> StatusUpdate | None:
        """The delivery as a status change of a payment alerted before, or None for a first alert."""
        payment = delivery.payment
        if payment.identity is None:
            return None
        first = await self.store.first_alert(payment.source, payment.identity, delivery.event_id)
        return None if first is None else StatusUpdate(payment, first)

    def _unshowable(self, payment: Payment, target: str) -> str | None:
        """Why the notifier cannot show ``payment`` (its ``render`` raised), or None when it can."""
        try:
            self.notifier.render(payment, target)
        except Exception as error:  # whatever formatting raises, retrying cannot cure it
            return one_line(f"cannot be shown ({type(error).__name__}: {error})", PROBLEM_LIMIT)
        return None

    async def _retry(self, delivery: Delivery, reason: str, retry_after: float | None) -> None:
        delay = backoff_delay(
            delivery.attempts + 1,
            self.settings.retry_initial.total_seconds(),
            self.settings.retry_max.total_seconds(),
        )
        if retry_after is not None:
            delay = max(delay, retry_after)
        log.warning(
            "delivery %s to %s/%s failed (%s); retry %d in %.1fs",
            delivery.id,
            self.lane.notifier,
            self.lane.target,
            reason,
            delivery.attempts + 1,
            delay,
        )
        await self.store.mark_retry(delivery.id, reason, time.time() + delay)
        self.metrics.deliveries.labels(self.lane.notifier, "retried").inc()
        self.health.failed(reason)

    async def _fail(self, delivery: Delivery, reason: str) -> None:
        log.error(
            "delivery %s of %r to %s/%s failed permanently: %s (kept; `payalert retry-failed` sends it again)",
            delivery.id,
            delivery.payment.title,
            self.lane.notifier,
            self.lane.target,
            reason,
        )
        await self.store.mark_failed(delivery.id, reason)
        self.metrics.deliveries.labels(self.lane.notifier, "failed").inc()
        self.health.failed(reason)


def _reason(unshowable: str | None, error: str) -> str:
    """A send's error, saying so when the send was the fallback for a payment that cannot be shown."""
    return error if unshowable is None else f"{unshowable}; sending the plain alert instead: {error}"


class DeliveryService:
    """All lane workers: started together, woken on new events, stopped with a grace period."""

    def __init__(self) -> None:
        self.workers: list[LaneWorker] = []
        self._tasks: list[asyncio.Task] = []

    def add(self, worker: LaneWorker) -> None:
        """Register a worker (before :meth:`start`)."""
        self.workers.append(worker)

    def start(self) -> None:
        """Start every worker."""
        self._tasks = [
            asyncio.create_task(worker.run(), name=f"delivery:{worker.lane.notifier}/{worker.lane.target}")
            for worker in self.workers
        ]

    def wake(self) -> None:
        """Tell every worker new deliveries may be waiting."""
        for worker in self.workers:
            worker.wake()

    async def stop(self, grace: float) -> None:
        """Let in-flight sends finish for up to ``grace`` seconds, then cancel."""
        for worker in self.workers:
            worker.stop()
        if not self._tasks:
            return
        _, still_running = await asyncio.wait(self._tasks, timeout=grace)
        for task in still_running:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
