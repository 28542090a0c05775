"""Coordination through PostgreSQL: a session advisory lock per exclusive job.

The locks live on one dedicated connection. ``pg_try_advisory_lock`` never waits; a node that gets
the lock runs the job until it stops or its connection ends. When a node dies, its connection
closes and PostgreSQL releases its locks at once; a standby node takes the job at its next try.
A watchdog pings the connection every second: if the ping fails or hangs, this node drops every
job immediately (another node may already hold them) and reconnects. Keepalives on both ends of
the connection let PostgreSQL notice a node that vanished without closing it (a network split).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

from ..coordination import Coordination

log = logging.getLogger("payalert.coordination")

#: How often (seconds) the lock connection is pinged, and how long a ping may take.
WATCH_SECONDS = 1.0
PING_TIMEOUT = 5.0


def lock_key(job: str) -> int:
    """The 64-bit advisory lock key of a job (stable across nodes and versions)."""
    digest = hashlib.blake2b(f"payalert:{job}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLocks(Coordination):
    """Holds jobs as session advisory locks on a connection of its own."""

    def __init__(self, connect: Any, node: str, retry_seconds: float) -> None:
        super().__init__(node)
        self.retry_seconds = retry_seconds
        self._connect = connect  # async () -> psycopg.AsyncConnection
        self._connection: Any = None
        self._lock = asyncio.Lock()
        self._watchdog: asyncio.Task | None = None

    async def start(self) -> None:
        """Connect (a failure is retried by the watchdog) and start watching the connection."""
        with contextlib.suppress(Exception):
            self._connection = await self._connect()
        self._watchdog = asyncio.create_task(self._watch(), name="payalert-locks")

    async def stop(self) -> None:
        """Close the connection: PostgreSQL releases every lock this node held."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
        await self._drop_connection()

    async def acquire(self, job: str) -> bool:
        """Try the job's lock without waiting; True while this node holds it."""
        if self.holds(job):
            return True
        async with self._lock:
            if self._connection is None:
                return False
            try:
                cursor = await asyncio.wait_for(
                    self._connection.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(job),)),
                    PING_TIMEOUT,
                )
                (taken,) = await cursor.fetchone()
            except Exception as error:  # the watchdog reconnects
                log.warning("could not try the lock of %s: %s", job, error)
                return False
        if taken:
            self._mark_held(job)
            log.info("%s: this node (%s) runs it now", job, self.node)
        return bool(taken)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            if self._connection is None:
                try:
                    self._connection = await self._connect()
                    log.info("coordination connection to PostgreSQL restored")
                except Exception:
                    await asyncio.sleep(max(0.0, self.retry_seconds - WATCH_SECONDS))
                continue
            try:
                async with self._lock:
                    await asyncio.wait_for(self._connection.execute("SELECT 1"), PING_TIMEOUT)
            except Exception as error:
                log.warning("lost the coordination connection to PostgreSQL (%s); giving up every job", error)
                await self._drop_connection()

    async def _drop_connection(self) -> None:
        for job in list(self._lost):
            self._mark_lost(job)
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), PING_TIMEOUT)
