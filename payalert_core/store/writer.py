"""A group-commit writer for SQLite: every write queued meanwhile shares one transaction and one fsync.

The writer knows nothing of what it writes. It takes :class:`WriteOperation` objects; those of a
:class:`BatchableOperation` class are merged into one ``apply_many`` call (a few bulk statements
instead of a few per write). Each write, or merged group, runs in its own savepoint, so one failing
write never takes the others down; when a merged group fails, its members are applied one by one,
so one bad row never fails the honest ones.

Nothing here waits for a lock on the event loop thread. ``BEGIN IMMEDIATE`` is first tried without
waiting (``busy_timeout`` is 0, so it takes the write lock or fails at once); when another process
holds the lock, the waiting ``BEGIN`` runs in the writer's thread. The statements then run on the
loop (microseconds each, no lock left to wait for) and the ``COMMIT``, which waits for the disk,
runs in the thread. Running the statements in the thread too would cost a GIL hand-over per row.

When the disk refuses writes (full, read-only, I/O errors) the group fails as a whole and is rolled
back; :class:`~.base.WriteHealth` remembers why until a commit succeeds again, and while writes fail
and nothing else is written, a small probe write checks for recovery every few seconds.

Whoever owns the writer can hook into it without the writer knowing what for: a function called
with each write's result the moment its group commits (before the submitter resumes, so in-memory
bookkeeping never lags a commit), one run in the thread after every COMMIT, one told of every
storage error, and chores run in the thread between two groups, outside any transaction
(checkpoints, counts that must not interleave with the writer's own commits).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self, TypeVar

from .base import WriteHealth, is_storage_error

T = TypeVar("T")

#: How long (milliseconds) the writer's thread waits for another process's write lock.
BUSY_TIMEOUT_MS = 5000
#: While writes fail and nothing else writes, how often (seconds) a probe write checks for recovery.
RECOVERY_PROBE_SECONDS = 2.0


class WriteOperation:
    """One write, applied inside a group transaction on the writing connection."""

    def apply(self, connection: sqlite3.Connection) -> Any:
        """Run the statements; the return value is what the submitter gets once committed."""
        raise NotImplementedError


class BatchableOperation(WriteOperation):
    """A write that may be merged with the other writes of its class queued meanwhile."""

    @classmethod
    def apply_many(cls, connection: sqlite3.Connection, operations: Sequence[Self]) -> list[Any]:
        """Apply ``operations`` together; one result per operation, in order."""
        raise NotImplementedError

    def apply(self, connection: sqlite3.Connection) -> Any:
        """Apply this write alone."""
        return self.apply_many(connection, [self])[0]


class CallableOperation(WriteOperation):
    """A write given as a function of the connection."""

    def __init__(self, function: Callable[[sqlite3.Connection], Any]) -> None:
        self.function = function

    def apply(self, connection: sqlite3.Connection) -> Any:
        """Call the function."""
        return self.function(connection)


Outcome = tuple[bool, Any]  # (succeeded, result or error)
Committed = Callable[[Any], None]  # told a write's result once its group committed
Chore = tuple[Callable[[sqlite3.Connection], Any], Callable[[Any], None] | None, asyncio.Future]


class GroupCommitWriter:
    """Owns the writing connection: queues writes and commits them in groups."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        executor: ThreadPoolExecutor,
        health: WriteHealth,
        probe: Callable[[], WriteOperation],
        after_commit: Callable[[sqlite3.Connection], None] | None = None,
        on_refused: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.connection = connection
        self.executor = executor
        self.health = health
        self.probe = probe
        self.after_commit = after_commit
        self.on_refused = on_refused
        self.commits = 0
        self._queue: list[tuple[WriteOperation, Committed | None, asyncio.Future]] = []
        self._chores: list[Chore] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Start committing in the running loop."""
        self._task = asyncio.create_task(self._write_loop(), name="payalert-store-writer")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        await cancel(self._task)
        self._task = None
        if self._queue:
            await self._flush()
        for _, _, future in self._chores:
            future.cancel()
        self._chores = []

    async def submit(self, operation: WriteOperation, committed: Committed | None = None) -> Any:
        """Apply ``operation`` in the next group transaction; return its result once committed.

        ``committed`` is called with the result on the loop as the group commits, before this returns.
        """
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.append((operation, committed, future))
        self._wakeup.set()
        return await future

    def between_groups(
        self, work: Callable[[sqlite3.Connection], T], then: Callable[[T], None] | None = None
    ) -> asyncio.Future:
        """Run ``work(connection)`` in the writer's thread after the current group, outside any
        transaction; ``then`` gets its result on the loop before the next group starts.

        Returns a future of the result; awaiting it is optional (its error is then dropped).
        """
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._chores.append((work, then, future))
        self._wakeup.set()
        return future

    async def _write_loop(self) -> None:
        while True:
            probe_after = RECOVERY_PROBE_SECONDS if self.health.failure is not None else None
            try:
                await asyncio.wait_for(self._wakeup.wait(), probe_after)
            except TimeoutError:  # writes failed and nothing was written since: try a tiny one
                probe: asyncio.Future = asyncio.get_running_loop().create_future()
                # Nobody awaits a probe: its outcome shows in the write health, so mark it as seen.
                probe.add_done_callback(lambda done: done.cancelled() or done.exception())
                self._queue.append((self.probe(), None, probe))
            self._wakeup.clear()
            if self._queue:
                await self._flush()
            if self._chores:
                await self._run_chores()

    async def _run_chores(self) -> None:
        chores, self._chores = self._chores, []
        loop = asyncio.get_running_loop()
        for work, then, future in chores:
            try:
                result = await loop.run_in_executor(self.executor, work, self.connection)
                if then is not None:
                    then(result)
            except Exception as error:
                if not future.done():
                    future.set_exception(error)
                continue
            if not future.done():
                future.set_result(result)

    async def _flush(self) -> None:
        batch, self._queue = self._queue, []
        loop = asyncio.get_running_loop()
        try:
            await self._begin()
            try:
                outcomes = self._apply_all([operation for operation, _, _ in batch])
            except BaseException:
                rollback_quietly(self.connection)
                raise
            await loop.run_in_executor(self.executor, self._commit)
        except Exception as error:  # the transaction failed as a whole: nobody's write is durable
            if is_storage_error(error):
                self._refused(error)
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self.commits += 1
        refused = next((value for ok, value in outcomes if not ok and is_storage_error(value)), None)
        if refused is None:
            self.health.note(None)
        else:
            self._refused(refused)
        for (_, committed, future), (ok, value) in zip(batch, outcomes, strict=True):
            if ok and committed is not None:
                committed(value)
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _refused(self, error: BaseException) -> None:
        self.health.note(error)
        if self.on_refused is not None:
            self.on_refused(error)

    async def _begin(self) -> None:
        """Take the write lock: at once on the loop if it is free, else waiting in the thread."""
        rollback_quietly(self.connection)  # an earlier ROLLBACK the disk refused must not wedge us
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            await asyncio.get_running_loop().run_in_executor(self.executor, self._begin_waiting)

    def _begin_waiting(self) -> None:
        self.connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        finally:
            self.connection.execute("PRAGMA busy_timeout=0")

    def _apply_all(self, operations: list[WriteOperation]) -> list[Outcome]:
        """Apply every write of the group, merged by class where it can be, each in a savepoint."""
        outcomes: list[Outcome] = [(False, None)] * len(operations)
        merged: dict[type, list[int]] = {}
        for index, operation in enumerate(operations):
            if isinstance(operation, BatchableOperation):
                merged.setdefault(type(operation), []).append(index)
        for kind, indexes in merged.items():
            members = [operations[index] for index in indexes]
            if len(members) > 1 and self._isolated(
                outcomes, indexes, functools.partial(kind.apply_many, self.connection, members)
            ):
                continue
            for index in indexes:  # alone, or its merged group failed: one by one
                self._isolated(outcomes, [index], _single(operations[index], self.connection))
        for index, operation in enumerate(operations):
            if not isinstance(operation, BatchableOperation):
                self._isolated(outcomes, [index], _single(operation, self.connection))
        return outcomes

    def _isolated(self, outcomes: list[Outcome], indexes: list[int], work: Callable[[], list[Any]]) -> bool:
        """Run ``work`` in a savepoint; its results (or its error) go to ``outcomes[indexes]``."""
        connection = self.connection
        connection.execute("SAVEPOINT op")
        try:
            results = work()
            connection.execute("RELEASE op")
        except Exception as error:
            if not connection.in_transaction:
                raise  # SQLite rolled the whole transaction back (disk full, I/O error): the group fails
            connection.execute("ROLLBACK TO op")
            connection.execute("RELEASE op")
            for index in indexes:
                outcomes[index] = (False, error)
            return False
        for index, result in zip(indexes, results, strict=True):
            outcomes[index] = (True, result)
        return True

    def _commit(self) -> None:
        """COMMIT (the fsync happens here); roll back if it fails. Then the owner's ``after_commit``."""
        try:
            self.connection.execute("COMMIT")
        except BaseException:
            rollback_quietly(self.connection)
            raise
        if self.after_commit is not None:
            self.after_commit(self.connection)


async def cancel(task: asyncio.Task | None) -> None:
    """Cancel ``task`` (if any) and wait until it has stopped."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def is_busy(error: sqlite3.Error) -> bool:
    """True when SQLite refused because another connection holds a lock (and we did not wait)."""
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


def _single(operation: WriteOperation, connection: sqlite3.Connection) -> Callable[[], list[Any]]:
    return lambda: [operation.apply(connection)]


def rollback_quietly(connection: sqlite3.Connection) -> None:
    """End any open transaction; the error that got us here is the one worth raising."""
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
