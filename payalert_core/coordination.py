"""Who runs what: with several nodes sharing one store, each exclusive job runs on one node at a time.

An exclusive job is a polled or stream source, or a singleton such as Telegram's command poller
(Telegram allows one ``getUpdates`` consumer per bot). :class:`Coordination` alone is the
single-node case: this node holds every job. The PostgreSQL backend's subclass holds a session
advisory lock per job, taken without waiting and kept until the node stops or loses its database
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("payalert.coordination")


class Coordination:
    """One node alone: every job is this node's, at once and for good."""

    #: How often (seconds) a standby node tries again to take a job over.
    retry_seconds: float = 5.0

    def __init__(self, node: str = "this node") -> None:
        self.node = node
        self._lost: dict[str, asyncio.Event] = {}

    async def start(self) -> None:
        """Begin coordinating (connect, where there is something to connect to)."""

    async def stop(self) -> None:
        """Give up every job so another node can take them over at once."""

    async def acquire(self, job: str) -> bool:
        """Hold ``job`` if no other node does (never waits); True while this node holds it."""
        self._lost.setdefault(job, asyncio.Event())
        return True

    def holds(self, job: str) -> bool:
        """Whether this node holds ``job`` now."""
        return job in self._lost and not self._lost[job].is_set()

    def held(self) -> list[str]:
        """The jobs this node holds, sorted."""
        return sorted(job for job in self._lost if self.holds(job))

    async def wait_lost(self, job: str) -> None:
        """Return once this node no longer holds ``job`` (it lost its database connection)."""
        await self._lost.setdefault(job, asyncio.Event()).wait()

    def _mark_lost(self, job: str) -> None:
        event = self._lost.get(job)
        if event is not None and not event.is_set():
            event.set()
            log.warning("%s: no longer held by this node; another node may take it over", job)

    def _mark_held(self, job: str) -> None:
        event = self._lost.get(job)
        if event is None or event.is_set():
            self._lost[job] = asyncio.Event()

    async def run_exclusively(self, job: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work()`` only while this node holds ``job``: wait for it, cancel ``work`` if lost.

        Returns what ``work`` returns (or raises what it raises); runs until cancelled otherwise.
        """
        while True:
            while not await self.acquire(job):
                await asyncio.sleep(self.retry_seconds)
            running = asyncio.ensure_future(work())
            lost = asyncio.ensure_future(self.wait_lost(job))
            try:
                await asyncio.wait({running, lost}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (running, lost):
                    if not task.done():
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
            if not running.cancelled():  # it ended by itself: its outcome is the caller's
                return running.result()
            log.info("%s: standing by until this node can take it again", job)
