"""Running sources: polled ones through APScheduler, streams as restartable tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .backoff import backoff_delay
from .configtypes import PolledSourceConfig
from .coordination import Coordination
from .errors import RetryLater
from .health import HealthRecord
from .metrics import Metrics
from .source import PolledSource, StreamSource

log = logging.getLogger("payalert.scheduler")

#: The longest wait between attempts of a failing poll or stream, unless its interval is longer.
MAX_BACKOFF_SECONDS = 300.0
#: A stream that ran this long before failing starts its backoff afresh.
STREAM_HEALTHY_RUN_SECONDS = 60.0


class PollScheduler:
    """Drives every polled source: first run at start-up, then every interval (with jitter).

    APScheduler's ``max_instances=1`` keeps two runs of one source from overlapping; a failed run
    moves that source's next run to a backoff delay without touching the others. With several
    nodes on one store, a run polls only on the node that holds the source (``coordination``); on
    the others it just tries to take the source over, so a dead node's source moves within one
    interval.
    """

    def __init__(self, metrics: Metrics, coordination: Coordination | None = None) -> None:
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.metrics = metrics
        self.coordination = coordination or Coordination()
        self._failures: dict[str, int] = {}
        self._running: set[asyncio.Task] = set()
        self._stopping = False

    def add(self, source: PolledSource, health: HealthRecord) -> None:
        """Schedule ``source``; its first run is immediate."""
        config = source.config
        assert isinstance(config, PolledSourceConfig)
        self.scheduler.add_job(
            self._run,
            "interval",
            args=(source, health),
            id=source.name,
            seconds=config.interval.total_seconds(),
            jitter=config.jitter_seconds or None,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    def next_run(self, name: str) -> datetime | None:
        """When the polled source ``name`` runs next, or None when it is not scheduled."""
        job = self.scheduler.get_job(name)
        return None if job is None else job.next_run_time

    def start(self) -> None:
        """Start the scheduler in the running event loop."""
        self.scheduler.start()

    async def stop(self, grace: float) -> None:
        """Stop scheduling new runs; give runs in progress ``grace`` seconds, then cancel them.

        Cancelling is safe: a poll's payments and cursor are stored in one transaction or not at all.
        """
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        running = set(self._running)
        if not running:
            return
        _, unfinished = await asyncio.wait(running, timeout=grace)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _run(self, source: PolledSource, health: HealthRecord) -> None:
        if not await self.coordination.acquire(f"source:{source.name}"):
            health.set_standby(True)
            return
        health.set_standby(False)
        started = time.monotonic()
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await source.poll()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # Cancelled by stop(): the poll's transaction was not committed, the next start reads
            # the same records again. Ending quietly keeps APScheduler from logging a traceback.
            log.info("source %s: poll interrupted by shutdown; it runs again at the next start", source.name)
        except Exception as error:
            self._after_failure(source, health, error)
        else:
            self._failures[source.name] = 0
            health.succeeded()
            self.metrics.polls.labels(source.name, "ok").inc()
        finally:
            self._running.discard(task)  # type: ignore[arg-type]
            self.metrics.poll_duration.labels(source.name).observe(time.monotonic() - started)

    def _after_failure(self, source: PolledSource, health: HealthRecord, error: Exception) -> None:
        failures = self._failures.get(source.name, 0) + 1
        self._failures[source.name] = failures
        interval = source.config.interval.total_seconds()  # type: ignore[attr-defined]
        delay = backoff_delay(failures, min(interval, 5.0), max(interval, MAX_BACKOFF_SECONDS))
        retry_after = error.retry_after if isinstance(error, RetryLater) else None
        if retry_after is not None:
            delay = max(delay, retry_after)
        reason = error.reason if isinstance(error, RetryLater) else f"{type(error).__name__}: {error}"
        health.failed(reason)
        self.metrics.polls.labels(source.name, "failed").inc()
        log.warning(
            "source %s: poll failed (%s); next try in %.1fs",
            source.name,
            reason,
            delay,
            exc_info=not isinstance(error, RetryLater) and log.isEnabledFor(logging.DEBUG),
        )
        job = self.scheduler.get_job(source.name)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC) + timedelta(seconds=delay))


class StreamSupervisor:
    """Runs a stream source's ``run()`` forever, restarting it with backoff when it fails or returns.

    With several nodes on one store, it runs only on the node that holds the source; the others
    stand by and try to take it over every ``takeover_check``.
    """

    def __init__(
        self, source: StreamSource, health: HealthRecord, coordination: Coordination | None = None
    ) -> None:
        self.source = source
        self.health = health
        self.coordination = coordination or Coordination()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        """Start supervising (once this node holds the source)."""
        self.task = asyncio.create_task(self._run_when_held(), name=f"stream:{self.source.name}")

    async def _run_when_held(self) -> None:
        self.health.set_standby(True)
        await self.coordination.run_exclusively(f"source:{self.source.name}", self._supervise_here)

    async def _supervise_here(self) -> None:
        self.health.set_standby(False)
        try:
            await self._supervise()
        finally:
            self.health.set_standby(True)

    async def stop(self) -> None:
        """Cancel the stream and wait for it."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _supervise(self) -> None:
        failures = 0
        while True:
            started = time.monotonic()
            try:
                await self.source.run()
                reason = "run() returned"
            except asyncio.CancelledError:
                raise
            except Exception as error:
                reason = f"{type(error).__name__}: {error}"
            if time.monotonic() - started > STREAM_HEALTHY_RUN_SECONDS:
                failures = 0
            failures += 1
            delay = backoff_delay(failures, 1.0, 60.0)
            self.health.set_connected(False)
            self.health.failed(reason)
            log.warning("source %s stopped (%s); restarting in %.1fs", self.source.name, reason, delay)
            await asyncio.sleep(delay)
