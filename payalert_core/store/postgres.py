"""The shared store: PostgreSQL through psycopg 3 and its connection pool, for several nodes.

Every node may ingest (unique keys dedupe a payment whichever node gets it first). Each delivery
lane is sent by one node at a time: the node that holds the lane's lease, taken with
``SELECT … FOR UPDATE SKIP LOCKED`` on the lane's row and renewed every third of ``lease`` while
the node lives. Exclusive jobs (polled and stream sources, the Telegram command poller) run under
session advisory locks (:mod:`.postgres_coordination`). A node that queued deliveries for a lane
another node holds wakes that node with a ``NOTIFY`` (:mod:`.postgres_notices`).

While PostgreSQL cannot be reached, every call raises :class:`~.base.StorageUnavailable` (webhooks
get 503, ``/health`` says why), delivery outcomes wait, and the pool reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from ..deliverycounts import DeliveryCounts
from ..model import Payment
from . import postgres_outbox as sql
from .base import StorageUnavailable, Store, WriteHealth, write_until_recorded
from .outbox import Delivery, DeliveryStatus, Lane, StoredIngest, delivery_from_row
from .postgres_batching import IngestBatcher
from .postgres_connections import (
    CONNECT_TIMEOUT,
    OUTAGE_CONNECT_TIMEOUT,
    RECONNECT_SECONDS,
    cannot_connect,
    cannot_use,
    connection_options,
    first_line,
    node_name,
)
from .postgres_coordination import AdvisoryLocks
from .postgres_lanes import LaneLeases
from .postgres_notices import OutboxNotices
from .postgres_reads import PostgresReads
from .postgres_schema import SCHEMA_VERSION, migrate
from .settings import display_url

log = logging.getLogger("payalert.store")

#: How long /health and /metrics reuse a count of the waiting deliveries.
COUNT_CACHE_SECONDS = 1.0


class PostgresStore(PostgresReads, Store):
    """The store in a PostgreSQL database several payalert nodes share."""

    backend = "postgresql"

    def __init__(
        self, url: str, lease: float = 15.0, takeover_check: float = 5.0, read_only: bool = False
    ) -> None:
        self.url = url
        self.where = display_url(url)
        self.lease = lease
        self.read_only = read_only
        self.node = node_name()
        self.health = WriteHealth(self.where, "check that PostgreSQL runs and this node can reach it")
        self.coordination = AdvisoryLocks(self._dedicated, self.node, takeover_check)
        self._pool: AsyncConnectionPool | None = None
        self.leases = LaneLeases(self._write, self.node, lease)
        self._tasks: list[asyncio.Task] = []
        self.waiting = DeliveryCounts()
        self._counted_at = 0.0
        self.notices = OutboxNotices(self._write, self._dedicated)
        self._batcher = IngestBatcher(self._ingest_group)

    # -- connections -------------------------------------------------------------------------------
    async def _dedicated(self) -> psycopg.AsyncConnection:
        """A connection outside the pool (advisory locks, LISTEN)."""
        return await psycopg.AsyncConnection.connect(
            self.url, **connection_options(self.node, self.read_only)
        )

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A pooled connection; an outage becomes StorageUnavailable (noted for /health)."""
        if self._pool is None:
            raise RuntimeError("store is closed")
        timeout = OUTAGE_CONNECT_TIMEOUT if self.health.failure is not None else CONNECT_TIMEOUT
        try:
            async with self._pool.connection(timeout=timeout) as connection:
                yield connection
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            problem = StorageUnavailable(f"PostgreSQL at {self.where} is unreachable: {first_line(error)}")
            self.health.note(problem)
            raise problem from None

    async def _write(self, query: str, arguments: Any = None) -> list[Any]:
        async with self._connection() as connection:
            cursor = await connection.execute(query, arguments)
            rows = await cursor.fetchall() if cursor.description else []
        self.health.note(None)
        return rows

    async def _read(self, query: str, arguments: Any = None) -> list[dict[str, Any]]:
        async with self._connection() as connection:
            cursor = connection.cursor(row_factory=dict_row)
            await cursor.execute(query, arguments)
            return await cursor.fetchall()

    # -- lifecycle -------------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect, migrate (unless read-only), start coordination, the lane keeper and LISTEN.

        Failing to connect raises StorageUnavailable (the daemon exits 75 and its service manager
        starts it again): a server that is down, still starting or full of connections refuses a
        login just as one given a wrong password does, and only the first kind passes. A statement
        the server refuses (the schema, permissions) raises a UserError.
        """
        try:
            first = await self._dedicated()  # one connection first: its error says why
        except psycopg.Error as error:
            raise cannot_connect(self.where, error) from None
        try:
            async with first:
                if not self.read_only:
                    await migrate(first, self.where)
        except psycopg.Error as error:
            raise cannot_use(self.where, error) from None
        self._pool = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=10,
            kwargs=connection_options(self.node, self.read_only),
            open=False,
            check=AsyncConnectionPool.check_connection,
            reconnect_timeout=RECONNECT_SECONDS,
            name="payalert",
        )
        # The pool warns at every failed attempt during an outage; the store reports it once.
        logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
        try:
            await self._pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except Exception as error:
            await self._pool.close()
            self._pool = None
            raise cannot_connect(self.where, error) from None
        if self.read_only:
            return
        await self.coordination.start()
        self._tasks = [
            asyncio.create_task(self.leases.keep(), name="payalert-lanes"),
            asyncio.create_task(self.notices.listen(), name="payalert-listen"),
        ]

    def location(self) -> str:
        """The URL, its password hidden."""
        return self.where

    async def migrate(self) -> tuple[int, int]:
        """Migrate the database over one connection of its own."""
        try:
            connection = await self._dedicated()
        except psycopg.Error as error:
            raise cannot_connect(self.where, error) from None
        try:
            async with connection:
                return await migrate(connection, self.where), SCHEMA_VERSION
        except psycopg.Error as error:
            raise cannot_use(self.where, error) from None

    async def close(self) -> None:
        """Hand every lane back, release the locks, close connections."""
        self.notices.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._pool is None:
            return
        if not self.read_only:
            await self.coordination.stop()
            with contextlib.suppress(Exception):
                await self.leases.release()
        await self._pool.close()
        self._pool = None

    def write_health(self) -> dict[str, Any]:
        """Whether the latest call could reach PostgreSQL, and why not."""
        return self.health.document()

    def describe(self) -> dict[str, Any]:
        """Backend, node, the jobs and lanes this node holds."""
        return {
            "backend": self.backend,
            "node": self.node,
            "runs": self.coordination.held(),
            "lanes": self.leases.held(),
        }

    def on_outbox_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when another node queued deliveries (or made failed ones pending)."""
        self.notices.on_change = callback

    # -- events and state ------------------------------------------------------------------------
    async def ingest(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> StoredIngest:
        """Insert new payments with one pending delivery per lane, and save ``state``, atomically."""
        stored = await self._batcher.ingest(payments, lanes, state)
        self._queued(stored, lanes)
        return stored

    def _queued(self, stored: StoredIngest, lanes: Sequence[Lane]) -> None:
        """Tell the other nodes about new deliveries on lanes this node does not hold."""
        self.health.note(None)
        if stored.new_event_ids and not self.read_only and not all(self.holds(lane) for lane in lanes):
            self.notices.tell_soon()

    async def _ingest_group(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> list[Any]:
        return await self._write(sql.INGEST, sql.ingest_arguments(payments, lanes, state))

    async def save_state(self, owner: str, key: str, value: Any) -> None:
        """Durably save one JSON value."""
        await self._write(sql.SAVE_STATE, (owner, key, json.dumps(value)))

    # -- the outbox ------------------------------------------------------------------------------
    async def pending(self, lane: Lane, limit: int = 50) -> list[Delivery]:
        """The oldest pending deliveries of one lane, in order."""
        rows = await self._read(sql.LANE_PENDING, (lane.notifier, lane.target, limit))
        return [delivery_from_row(row) for row in rows]

    async def claim(self, lane: Lane, limit: int = 50) -> list[Delivery] | None:
        """Take or keep the lane's lease, then read its next deliveries; None if another node holds it."""
        if not await self.leases.take(lane):
            return None
        return await self.pending(lane, limit)

    def holds(self, lane: Lane) -> bool:
        """True while this node's lease on ``lane`` surely runs for half its length more."""
        return self.leases.holds(lane)

    async def mark_sent(self, delivery_id: int) -> None:
        """Record a successful send."""
        await self._record(delivery_id, DeliveryStatus.SENT, None, None)

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Record a permanent failure (kept for ``retry-failed``)."""
        await self._record(delivery_id, DeliveryStatus.FAILED, error, None)

    async def mark_retry(self, delivery_id: int, error: str, next_attempt_at: float) -> None:
        """Record a temporary failure and when to try again."""
        await self._record(delivery_id, DeliveryStatus.PENDING, error, next_attempt_at)

    async def _record(
        self, delivery_id: int, status: DeliveryStatus, error: str | None, next_at: float | None
    ) -> None:
        arguments = {
            "id": delivery_id,
            "status": status.value,
            "error": error,
            "next_at": next_at,
            "at": time.time(),
        }
        await write_until_recorded(lambda: self._write(sql.RECORD_OUTCOME, arguments))

    async def retry_failed(self, ids: Sequence[int] | None = None, notifier: str | None = None) -> int:
        """Make failed deliveries pending again (all, those in ``ids``, or one notifier's); return how many."""
        chosen = None if ids is None else list(ids)
        rows = await self._write(sql.RETRY_FAILED, {"now": time.time(), "ids": chosen, "notifier": notifier})
        if rows:  # often run by the CLI, which closes the store next: tell the nodes now
            await self.notices.tell_now()
        return len(rows)

    async def deliveries(self, statuses: Sequence[DeliveryStatus | str], limit: int = 1000) -> list[Delivery]:
        """Deliveries in the given statuses, oldest first."""
        wanted = [DeliveryStatus(status).value for status in statuses]
        return [delivery_from_row(row) for row in await self._read(sql.BY_STATUS, (wanted, limit))]

    async def delivery_counts(self) -> dict[str, dict[str, int]]:
        """``{notifier: {"pending": n, "failed": n}}``, counted at most once a second (all nodes' work).

        A notifier counted once stays, at 0 when nothing waits for it, so its gauges fall to 0.
        """
        if time.monotonic() - self._counted_at >= COUNT_CACHE_SECONDS:
            try:
                rows = await self._read(sql.COUNT_WAITING)
            except StorageUnavailable:
                return self.waiting.snapshot()  # the last count, while the database cannot be reached
            self.waiting.reset((row["notifier"], row["status"], row["count"]) for row in rows)
            self._counted_at = time.monotonic()
        return self.waiting.snapshot()
