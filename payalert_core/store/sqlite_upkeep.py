"""What the SQLite store does between its writer's groups: room on a full disk, and the counts of
waiting deliveries kept true when another process changes the outbox.

A full disk must not wedge the store (``diskspace``): when SQLite reports the disk full, a store
that keeps a disk reserve refuses payments at once, then gives the reserve back and truncates the
write-ahead log, so delivery outcomes can still be recorded; every few seconds it checks whether
the file system has room again and, once it has, accepts payments again.

How many deliveries wait (``DeliveryCounts``) is counted once at open and then moved by the store's
own writes as they commit; a commit by another process (``payalert retry-failed``) shows in
SQLite's ``data_version``, checked every ``EXTERNAL_CHANGE_CHECK_SECONDS``, and the outbox is
counted again. Both run in the writer's thread between two groups, so a count never interleaves
with the store's own commits.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

from ..deliverycounts import DeliveryCounts
from ..diskspace import DiskPressure, is_disk_full
from .sqlite_outbox import COUNT_WAITING
from .writer import GroupCommitWriter, cancel

log = logging.getLogger("payalert.store")

#: How often (seconds) the store looks for commits another process made to the outbox, and, while
#: the disk is full, whether space has come back.
EXTERNAL_CHANGE_CHECK_SECONDS = 2.0

Counted = tuple[int, list[tuple[str, str, int]]]  # (data_version, [(notifier, status, count)])


class Upkeep:
    """The disk reserve's relief and the waiting counts of one SQLite store, run by its writer."""

    def __init__(self, path: Path, disk: DiskPressure, waiting: DeliveryCounts) -> None:
        self.path = path
        self.disk = disk
        self.waiting = waiting
        self._data_version: int | None = None  # the writer's view: changes only on others' commits
        self._writer: GroupCommitWriter | None = None
        self._relief_queued = False
        self._task: asyncio.Task | None = None

    def start(self, writer: GroupCommitWriter) -> None:
        """Start the periodic checks through ``writer`` (whose ``on_refused`` is :meth:`refused`)."""
        self._writer = writer
        self._task = asyncio.create_task(self._watch(), name="payalert-store-upkeep")

    async def stop(self) -> None:
        """Stop the periodic checks."""
        await cancel(self._task)
        self._task = None

    def count(self, connection: sqlite3.Connection) -> Counted:
        """The connection's data version and the deliveries not yet sent, counted (a scan of the outbox)."""
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        return version, [tuple(row) for row in connection.execute(COUNT_WAITING)]

    def apply(self, counted: Counted | None) -> None:
        """Replace the counts with a fresh count (None: nothing changed)."""
        if counted is not None:
            self._data_version, rows = counted
            self.waiting.reset(rows)

    def refused(self, error: BaseException) -> None:
        """After SQLITE_FULL: refuse payments at once, then give the reserve back and truncate the log."""
        if not (self.disk.keep_reserve and is_disk_full(error)) or self._relief_queued:
            return
        assert self._writer is not None
        self.disk.disk_full("SQLite reported the disk full")  # first: no payment may take the room
        self._relief_queued = True
        self._writer.between_groups(self.disk.relieve).add_done_callback(self._relieved)

    def _relieved(self, _: asyncio.Future) -> None:
        self._relief_queued = False

    async def _watch(self) -> None:
        assert self._writer is not None
        while True:
            await asyncio.sleep(EXTERNAL_CHANGE_CHECK_SECONDS)
            try:
                await self._writer.between_groups(self._count_if_changed, self.apply)
            except sqlite3.Error as error:  # a disk error: the count is retried at the next check
                log.warning("counting the deliveries waiting in %s failed: %s", self.path, error)
            if self.disk.refusing_payments:
                await self._writer.between_groups(self.disk.space_returned)

    def _count_if_changed(self, connection: sqlite3.Connection) -> Counted | None:
        if connection.execute("PRAGMA data_version").fetchone()[0] == self._data_version:
            return None
        return self.count(connection)
