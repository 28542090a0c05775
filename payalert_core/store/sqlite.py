"""The embedded store: one SQLite file in WAL mode with ``synchronous=FULL`` (a commit is on disk
when it returns). Nothing to configure; one node.

Writes go through the :class:`~.writer.GroupCommitWriter`; reads run on a second connection that
never waits for a lock (in WAL mode a read almost never has to); the rare read that must wait (a
WAL being recovered) runs in a thread of its own on a third connection. Nothing waits on the event
loop. Opened ``read_only``, the store never
writes: the CLI's read commands use it next to a running daemon.

A full disk must not wedge the store: the write-ahead log is kept small, and a store that keeps a
disk reserve (the daemon's) gives it back when SQLite reports the disk full, then refuses new
payments (``ingest`` raises SQLITE_FULL: webhooks get 503) while delivery outcomes keep being
recorded, until the file system has room again. How many deliveries wait (``delivery_counts()``,
read by ``/health`` and ``/metrics`` on every request) is kept in memory. Both are in
``sqlite_upkeep``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ..coordination import Coordination
from ..deliverycounts import DeliveryCounts
from ..diskspace import DiskPressure, refused_for_space
from ..model import Payment
from . import sqlite_outbox as outbox
from .base import Store, WriteHealth, unwritable, write_until_recorded
from .outbox import Delivery, DeliveryStatus, Lane, StoredIngest
from .sqlite_reads import SQLiteReads
from .sqlite_schema import (
    SCHEMA_VERSION,
    connect_read_only,
    connect_reader,
    connect_writer,
    rewrite_version,
    schema_version,
)
from .sqlite_tellings import IngestMatching
from .sqlite_upkeep import Upkeep
from .writer import (
    BUSY_TIMEOUT_MS,
    CallableOperation,
    Committed,
    GroupCommitWriter,
    WriteOperation,
    is_busy,
)

T = TypeVar("T")


class SQLiteStore(SQLiteReads, Store):
    """The store in one SQLite file (``data_dir/payalert.sqlite3``).

    ``keep_reserve``: keep a disk reserve in the data directory and refuse payments while the disk
    is full (the daemon's store); commands run beside the daemon leave it to the daemon.
    """

    backend = "sqlite"

    def __init__(self, path: Path, read_only: bool = False, keep_reserve: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self.coordination = Coordination()
        self.health = WriteHealth(str(path), f"free space or make {path.parent} writable")
        self.disk = DiskPressure(path, keep_reserve and not read_only)
        self.waiting = DeliveryCounts()
        self._upkeep = Upkeep(path, self.disk, self.waiting)
        self._write_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payalert-store")
        self._read_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payalert-store-read")
        self._writer: GroupCommitWriter | None = None
        self._reader: Any = None
        self._waiting_reader: Any = None

    # -- lifecycle -------------------------------------------------------------------------------
    async def open(self) -> None:
        """Create or migrate the database (read-only: just open it); raise UserError when unusable."""
        loop = asyncio.get_running_loop()
        if self.read_only:
            self._reader = await loop.run_in_executor(self._read_thread, connect_read_only, self.path)
            return
        connection = await loop.run_in_executor(self._write_thread, connect_writer, self.path, self.disk)
        self._reader = await loop.run_in_executor(self._read_thread, connect_reader, self.path)
        self._upkeep.apply(await loop.run_in_executor(self._write_thread, self._upkeep.count, connection))
        await loop.run_in_executor(self._write_thread, self.disk.keep)
        self._writer = GroupCommitWriter(
            connection,
            self._write_thread,
            self.health,
            lambda: _Probe(),
            after_commit=self.disk.checkpoint_if_grown,
            on_refused=self._upkeep.refused,
        )
        self._writer.start()
        self._upkeep.start(self._writer)

    def location(self) -> str:
        """The database file."""
        return str(self.path)

    async def migrate(self) -> tuple[int, int]:
        """Migrate the file (creating it if need be) and close it again."""
        before = await asyncio.to_thread(schema_version, self.path)
        connection = await asyncio.to_thread(connect_writer, self.path)
        await asyncio.to_thread(connection.close)
        return before, SCHEMA_VERSION

    async def close(self) -> None:
        """Commit what is queued, then close the connections."""
        loop = asyncio.get_running_loop()
        await self._upkeep.stop()
        if self._writer is not None:
            await self._writer.stop()
            await loop.run_in_executor(self._write_thread, self._writer.connection.close)
            self._writer = None
        for reader in (self._reader, self._waiting_reader):
            if reader is not None:
                await loop.run_in_executor(self._read_thread, reader.close)
        self._reader = self._waiting_reader = None
        self._write_thread.shutdown(wait=True)
        self._read_thread.shutdown(wait=True)

    def write_health(self) -> dict[str, Any]:
        """Whether payments can be stored now (the last group committed, the disk has room), and why not."""
        document = self.health.document()
        if document["writable"] and self.disk.full_since is not None:
            return unwritable(str(self.disk.problem()), self.disk.full_since)
        return document

    @property
    def commits(self) -> int:
        """Group transactions committed since open."""
        return self._writer.commits if self._writer is not None else 0

    # -- the two ways in ---------------------------------------------------------------------------
    async def write(
        self, operation: WriteOperation | Callable[[Any], T], committed: Committed | None = None
    ) -> T:
        """Apply a write (an operation, or a function of the connection) in the next group commit.

        ``committed`` gets the write's result as its group commits, before this returns.
        """
        if self._writer is None:
            raise RuntimeError("store is closed" if not self.read_only else "store is read-only")
        if not isinstance(operation, WriteOperation):
            operation = CallableOperation(operation)
        return await self._writer.submit(operation, committed)

    async def read(self, query: Callable[[Any], T]) -> T:
        """Run a read-only ``query`` (indexed and short): at once, or in a thread if it must wait."""
        reader = self._reader
        if reader is None:
            raise RuntimeError("store is closed")
        try:
            return query(reader)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
        return await asyncio.get_running_loop().run_in_executor(self._read_thread, self._read_waiting, query)

    async def read_in_thread(self, query: Callable[[Any], T]) -> T:
        """Run a read-only ``query`` that may take a while (a scan) in the reading thread."""
        if self._reader is None:
            raise RuntimeError("store is closed")
        return await asyncio.get_running_loop().run_in_executor(self._read_thread, self._read_waiting, query)

    def _read_waiting(self, query: Callable[[Any], T]) -> T:
        if self._waiting_reader is None:
            self._waiting_reader = (
                connect_read_only(self.path, busy_timeout=BUSY_TIMEOUT_MS / 1000)
                if self.read_only
                else connect_reader(self.path, busy_timeout=BUSY_TIMEOUT_MS / 1000)
            )
        return query(self._waiting_reader)

    # -- writes -------------------------------------------------------------------------------------
    async def ingest(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> StoredIngest:
        """Insert new payments with one pending delivery per lane, and save ``state``, atomically.

        While the disk is full this raises SQLITE_FULL at once: the space left is for delivery records.
        """
        return await self._ingest(outbox.IngestOperation(payments, lanes, state), lanes)

    async def ingest_matching(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> StoredIngest:
        """:meth:`ingest`, where a payment with a ``match`` another telling already made is a repeat."""
        return await self._ingest(IngestMatching(outbox.IngestOperation(payments, lanes, state)), lanes)

    async def _ingest(self, operation: WriteOperation, lanes: Sequence[Lane]) -> StoredIngest:
        if self.disk.refusing_payments:
            raise refused_for_space()

        def committed(stored: StoredIngest) -> None:
            for lane in lanes:
                self.waiting.add(lane.notifier, DeliveryStatus.PENDING.value, len(stored.new_event_ids))

        return await self.write(operation, committed)

    async def retitle_event(self, event_id: int, title: str) -> None:
        """Give a stored alert a new title before it is sent."""
        await self.write(outbox.RetitleEvent(event_id, title))

    async def save_state(self, owner: str, key: str, value: Any) -> None:
        """Durably save one JSON value."""
        await self.write(outbox.SaveState(owner, key, value))

    async def mark_sent(self, delivery_id: int) -> None:
        """Record a successful send."""
        await self._record(outbox.RecordOutcome(delivery_id, DeliveryStatus.SENT, None, None))

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Record a permanent failure (kept for ``retry-failed``)."""
        await self._record(outbox.RecordOutcome(delivery_id, DeliveryStatus.FAILED, error, None))

    async def mark_retry(self, delivery_id: int, error: str, next_attempt_at: float) -> None:
        """Record a temporary failure and when to try again."""
        await self._record(outbox.RecordOutcome(delivery_id, DeliveryStatus.PENDING, error, next_attempt_at))

    async def _record(self, operation: outbox.RecordOutcome) -> None:
        def committed(before: tuple[str, str] | None) -> None:
            if before is not None:
                self.waiting.move(*before, operation.status.value)

        await write_until_recorded(lambda: self.write(operation, committed))

    async def retry_failed(self, ids: Sequence[int] | None = None, notifier: str | None = None) -> int:
        """Make failed deliveries pending again (all, those in ``ids``, or one notifier's); return how many."""

        def committed(moved: list[tuple[str, int]]) -> None:
            for notifier, count in moved:
                self.waiting.move(notifier, DeliveryStatus.FAILED.value, DeliveryStatus.PENDING.value, count)

        moved = await self.write(outbox.RetryFailed(ids, notifier), committed)
        return sum(count for _, count in moved)

    # -- reads ------------------------------------------------------------------------------------
    async def load_state(self, owner: str, key: str) -> Any:
        """A JSON value saved earlier, or None."""
        return await self.read(lambda connection: outbox.load_state(connection, owner, key))

    async def pending(self, lane: Lane, limit: int = 50) -> list[Delivery]:
        """The oldest pending deliveries of one lane, in order."""
        return await self.read(lambda connection: outbox.lane_pending(connection, lane, limit))

    async def deliveries(self, statuses: Sequence[DeliveryStatus | str], limit: int = 1000) -> list[Delivery]:
        """Deliveries in the given statuses, oldest first."""
        marks = ",".join("?" * len(statuses))
        parameters = (*(DeliveryStatus(status).value for status in statuses), limit)
        return await self.read(
            lambda connection: outbox.select_deliveries(
                connection, f"d.status IN ({marks}) ORDER BY d.id LIMIT ?", parameters
            )
        )

    async def delivery_counts(self) -> dict[str, dict[str, int]]:
        """``{notifier: {"pending": n, "failed": n}}``: from memory, cheap enough for every request
        (read-only, from the database)."""
        if self.read_only:
            return await self.read(outbox.count_waiting)
        return self.waiting.snapshot()

    async def recent_payments(self, limit: int) -> list[Payment]:
        """The newest stored payments, newest first."""
        return await self.read(lambda connection: outbox.recent_payments(connection, limit))


class _Probe(WriteOperation):
    """The recovery probe: rewrites the schema version, unchanged."""

    def apply(self, connection: Any) -> None:
        """Write the smallest real change."""
        rewrite_version(connection)
