"""The durable store: events, deliveries (an outbox per notifier target) and source state, in SQLite.

Writes from many coroutines are queued and committed together (group commit): one transaction and
one fsync for everything that arrived meanwhile, each write in its own savepoint so one failing
write never takes the others down. Ingests are merged into a few bulk statements; when the merged
statements fail, each ingest runs again on its own, so one bad payment fails only its own request. The statements run on the event loop (microseconds each); only
the COMMIT, which waits for the disk, runs in a thread. Reads use a second connection, which WAL
lets see the last commit while the next one is being written.

When the disk refuses writes (full, read-only, I/O errors) a group fails as a whole and is rolled
back; the store remembers why (``write_health()``, shown in ``/health``) until a commit succeeds
again. Delivery outcomes wait for the disk instead of failing: a lane must not move on unrecorded.

A full disk must not wedge the store (``diskspace``): the write-ahead log is kept small, and a
store that keeps a disk reserve (the daemon's) gives it back when SQLite reports the disk full,
then refuses new payments (``ingest`` raises SQLITE_FULL: webhooks get 503) while delivery outcomes
keep being recorded, until the file system has room again (checked every few seconds).

How many deliveries wait, per notifier and status (``delivery_counts()``, read by ``/health`` and
``/metrics`` on every request), is counted once at open and then kept up to date from the store's
own committed writes; a change made by another process (``payalert retry-failed``) is noticed
through SQLite's ``data_version`` within ``EXTERNAL_CHANGE_CHECK_SECONDS`` and counted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from .deliverycounts import DeliveryCounts
from .diskspace import BUSY_TIMEOUT_MS, DiskPressure, is_disk_full, refused_for_space
from .errors import StorageUnavailable, UserError
from .lifecycle import IDENTITY_INDEX_MIGRATION, first_alert
from .model import Payment
from .tellings import (
    TELLINGS_TABLE,
    PaymentMatch,
    Repeat,
    Telling,
    first_telling,
    known_telling,
    read_tellings,
    read_tellings_of,
    record_telling,
)

T = TypeVar("T")

log = logging.getLogger("payalert.store")

#: Primary SQLite result codes that mean "the disk refuses writes now", not a bug in a statement.
STORAGE_ERROR_CODES = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PERM,
    }
)
#: First and longest wait (seconds) between attempts to record a delivery outcome the disk refused.
RECORD_RETRY_FIRST = 0.05
RECORD_RETRY_MAX = 2.0
#: While writes fail and nothing else writes, how often (seconds) an empty write checks for recovery.
RECOVERY_PROBE_SECONDS = 2.0
#: How often (seconds) the writer looks for commits another process made to the outbox, and,
#: while the disk is full, whether space has come back.
EXTERNAL_CHANGE_CHECK_SECONDS = 2.0

MIGRATIONS: list[str] = [
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payment TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (source, external_id)
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL REFERENCES events (id),
        notifier TEXT NOT NULL,
        target TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        first_attempt_at REAL,
        last_error TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX deliveries_by_lane ON deliveries (notifier, target, status, id);
    CREATE TABLE state (
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (owner, key)
    );
    """,
    TELLINGS_TABLE,
    # The money of each event in columns of its own, so totals over a period read one covering index
    # (notices, which carry no amount, are not in it), and the deliveries not yet sent by notifier.
    """
    ALTER TABLE events ADD COLUMN occurred_epoch REAL;
    ALTER TABLE events ADD COLUMN direction TEXT;
    ALTER TABLE events ADD COLUMN currency TEXT;
    ALTER TABLE events ADD COLUMN amount TEXT;
    UPDATE events SET
        occurred_epoch = unixepoch(json_extract(payment, '$.occurred_at')),
        direction = json_extract(payment, '$.direction'),
        currency = json_extract(payment, '$.currency'),
        amount = json_extract(payment, '$.amount');
    CREATE INDEX events_money_by_time ON events (occurred_epoch, direction, currency, amount)
        WHERE amount IS NOT NULL;
    CREATE INDEX deliveries_unsent ON deliveries (notifier, status, attempts) WHERE status != 'sent';
    """,
    IDENTITY_INDEX_MIGRATION,
]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Lane:
    """One notifier target: deliveries to it are sent one at a time, in order."""

    notifier: str
    target: str


@dataclass(frozen=True)
class Delivery:
    """A row of the outbox, with the payment it carries."""

    id: int
    event_id: int
    notifier: str
    target: str
    status: str
    attempts: int
    next_attempt_at: float
    first_attempt_at: float | None
    last_error: str | None
    payment: Payment


class _IngestRequest(NamedTuple):
    """Payments and state to write; the writer merges all requests of a group into bulk statements."""

    payments: Sequence[Payment]
    lanes: Sequence[Lane]
    state: dict[tuple[str, str], Any]


class Transfers(NamedTuple):
    """Money moved in and out, as ``transfers_since`` read it, and the newest event id it saw."""

    last_id: int
    rows: list[tuple[float, str, str, str]]


class StoredIngest(NamedTuple):
    """What one ingest wrote: new event ids and the number of duplicates dropped."""

    new_event_ids: list[int]
    duplicates: int
    #: Payments stored as later tellings of one that already alerted (``ingest_matching`` only).
    repeats: tuple[Repeat, ...] = ()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def is_storage_error(error: BaseException) -> bool:
    """True for SQLite errors caused by the disk (full, read-only, I/O), which clear when it recovers."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.Error) and code is not None and code & 0xFF in STORAGE_ERROR_CODES


class Store:
    """SQLite in WAL mode with ``synchronous=FULL``: a commit is on disk when it returns.

    ``keep_reserve``: keep a disk reserve in the data directory and refuse payments while the disk
    is full (the daemon's store); commands run beside the daemon leave it to the daemon.
    """

    def __init__(self, path: Path, keep_reserve: bool = False) -> None:
        self.path = path
        self.disk = DiskPressure(path, keep_reserve)
        self._disk_full_noticed = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payalert-store")
        self._connection: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._queue: list[tuple[Callable[[sqlite3.Connection], Any] | _IngestRequest, asyncio.Future]] = []
        self._wakeup: asyncio.Event | None = None
        self._writer: asyncio.Task | None = None
        self.commits = 0
        self._write_failure: tuple[str, float] | None = None  # (reason, since) while writes fail
        self.waiting = DeliveryCounts()
        self._data_version: int | None = None  # the writer's view: changes only on others' commits
        self._external_check: asyncio.TimerHandle | None = None
        self._external_check_due = False

    # -- lifecycle -------------------------------------------------------------------------------
    async def open(self) -> None:
        """Create or migrate the database; raise UserError when it cannot be used."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open_sync)
        self._wakeup = asyncio.Event()
        self._writer = asyncio.create_task(self._write_loop(), name="payalert-store-writer")
        self._schedule_external_check()

    def _open_sync(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL").fetchone()
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self.disk.bound_the_log(connection)
            version = connection.execute("PRAGMA user_version").fetchone()[0]
        except (OSError, sqlite3.Error) as error:
            if is_disk_full(error):
                raise self._full_at_start(error) from None
            raise UserError(
                f"data_dir: cannot use the database at {self.path} ({error}); "
                "point data_dir at a writable folder"
            ) from None
        if version > SCHEMA_VERSION:
            connection.close()
            raise UserError(
                f"the database at {self.path} has schema version {version}, newer than this payalert "
                f"understands ({SCHEMA_VERSION}); upgrade payalert or point data_dir elsewhere"
            )
        try:
            for number in range(version, SCHEMA_VERSION):
                connection.executescript(
                    f"BEGIN IMMEDIATE; {MIGRATIONS[number]}; PRAGMA user_version={number + 1}; COMMIT;"
                )
            self._probe_write(connection)
        except sqlite3.Error as error:
            connection.close()
            if is_disk_full(error):
                raise self._full_at_start(error) from None
            raise UserError(
                f"data_dir: cannot write the database at {self.path} ({error}); "
                "point data_dir at a writable folder"
            ) from None
        self._connection = connection
        self._reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._reader.execute("PRAGMA query_only=ON")
        self._apply_count(self._count_waiting())
        self.disk.keep()

    def _probe_write(self, connection: sqlite3.Connection) -> None:
        """Check that a write really works, freeing the reserve once if the disk is full.

        Read-only file systems pass connect(), and a file system the kernel turned read-only after
        an error even passes an empty transaction: only a real write tells.
        """
        try:
            _rewrite_version_in_a_transaction(connection)
        except sqlite3.Error as error:
            if not (self.disk.keep_reserve and is_disk_full(error)):
                raise
            _rollback_quietly(connection)
            self.disk.disk_full(str(error))
            self.disk.relieve(connection)
            _rewrite_version_in_a_transaction(connection)

    def _full_at_start(self, error: BaseException) -> StorageUnavailable:
        return StorageUnavailable(
            f"data_dir: the disk holding {self.path.parent} is full ({error}); free space there "
            "(payalert exits 75 so that systemd or Docker starts it again)"
        )

    async def close(self) -> None:
        """Commit what is queued, then close the connection."""
        if self._external_check is not None:
            self._external_check.cancel()
            self._external_check = None
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
            if self._queue:
                await self._flush()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._connection.close)
            self._connection = None
        self._executor.shutdown(wait=True)

    def write_health(self) -> dict[str, Any]:
        """``{"writable", "problem", "since"}``: whether payments can be stored now, and if not, why."""
        if self._write_failure is not None:
            reason, since = self._write_failure
            problem = f"the database refuses writes: {reason}"
        elif self.disk.full_since is not None:
            since, problem = self.disk.full_since, str(self.disk.problem())
        else:
            return {"writable": True, "problem": None, "since": None}
        when = datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds")
        return {"writable": False, "problem": problem, "since": when}

    def _note_write(self, error: BaseException | None) -> None:
        """Remember the first storage failure of an outage (logged once) and forget it after a commit."""
        if error is None:
            if self._write_failure is not None:
                log.info(
                    "the database at %s accepts writes again (after %.0fs)",
                    self.path,
                    time.time() - self._write_failure[1],
                )
                self._write_failure = None
            return
        if is_disk_full(error):
            self._disk_full_noticed = True  # the writer loop frees the reserve and checkpoints
        if self._write_failure is None:
            log.error(
                "the database at %s refuses writes (%s); webhooks are answered 503 and deliveries "
                "wait until it recovers: free space or make %s writable",
                self.path,
                error,
                self.path.parent,
            )
            self._write_failure = (str(error), time.time())

    # -- the group-commit writer ------------------------------------------------------------------
    async def write(self, operation: Callable[[sqlite3.Connection], T] | _IngestRequest) -> T:
        """Run ``operation`` inside the next group transaction; return its result once committed."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.append((operation, future))
        assert self._wakeup is not None, "store is not open"
        self._wakeup.set()
        return await future

    async def _write_loop(self) -> None:
        assert self._wakeup is not None
        while True:
            probe_after = RECOVERY_PROBE_SECONDS if self._write_failure is not None else None
            try:
                await asyncio.wait_for(self._wakeup.wait(), probe_after)
            except TimeoutError:  # writes failed and nothing was written since: try a tiny one
                probe: asyncio.Future = asyncio.get_running_loop().create_future()
                # Nobody awaits a probe: its outcome shows in write_health(), so mark it as seen.
                probe.add_done_callback(lambda done: done.cancelled() or done.exception())
                self._queue.append((_rewrite_version, probe))
            self._wakeup.clear()
            if self._queue:
                await self._flush()
            if self._disk_full_noticed:
                self._disk_full_noticed = False
                await self._make_room()
            if self._external_check_due:
                self._external_check_due = False
                await self._follow_external_changes()
                await self._resume_when_space_returns()

    async def _flush(self) -> None:
        batch, self._queue = self._queue, []
        loop = asyncio.get_running_loop()
        try:
            outcomes = self._write_batch([op for op, _ in batch])
            await loop.run_in_executor(self._executor, self._commit)
        except Exception as error:  # the transaction failed as a whole: nobody's write is durable
            if is_storage_error(error):
                self._note_write(error)
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self.commits += 1
        refused = next((value for ok, value in outcomes if not ok and is_storage_error(value)), None)
        self._note_write(refused)
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _write_batch(
        self, operations: list[Callable[[sqlite3.Connection], Any] | _IngestRequest]
    ) -> list[tuple[bool, Any]]:
        """Begin a transaction and run every write in it (each isolated in a savepoint)."""
        connection = self._require_connection()
        outcomes: list[tuple[bool, Any]] = [(False, None)] * len(operations)
        ingests = [(index, op) for index, op in enumerate(operations) if isinstance(op, _IngestRequest)]
        _rollback_quietly(connection)  # an earlier ROLLBACK the disk refused must not wedge the connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            if ingests:
                self._ingest_isolated(connection, outcomes, ingests)
            for index, operation in enumerate(operations):
                if not isinstance(operation, _IngestRequest):
                    self._run_isolated(
                        connection, outcomes, [index], functools.partial(_one, operation, connection)
                    )
        except BaseException:
            _rollback_quietly(connection)
            raise
        return outcomes

    def _ingest_isolated(
        self,
        connection: sqlite3.Connection,
        outcomes: list[tuple[bool, Any]],
        ingests: list[tuple[int, _IngestRequest]],
    ) -> None:
        """Every ingest of the group merged into a few statements; if that fails, each one alone.

        One bad payment (text SQLite cannot encode, a raw payload that cannot be written) then
        fails only its own request, never the honest ones merged with it.
        """
        merged = self._run_isolated(
            connection,
            outcomes,
            [index for index, _ in ingests],
            lambda: _bulk_ingest(connection, [request for _, request in ingests]),
        )
        if merged or len(ingests) == 1:
            return
        for index, request in ingests:
            self._run_isolated(
                connection, outcomes, [index], functools.partial(_bulk_ingest, connection, [request])
            )

    def _commit(self) -> None:
        """COMMIT (the fsync happens here); roll back if it fails. Then checkpoint if the log grew."""
        connection = self._require_connection()
        try:
            connection.execute("COMMIT")
        except BaseException:
            _rollback_quietly(connection)
            raise
        self.disk.checkpoint_if_grown(connection)

    @staticmethod
    def _run_isolated(
        connection: sqlite3.Connection,
        outcomes: list[tuple[bool, Any]],
        indexes: list[int],
        work: Callable[[], list[Any]],
    ) -> bool:
        """Run ``work`` in a savepoint; its results (or its error) go to ``outcomes[indexes]``.

        Returns True when ``work`` succeeded.
        """
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

    async def read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read-only ``query`` (indexed and short) on the reading connection."""
        if self._reader is None:
            raise RuntimeError("store is closed")
        return query(self._reader)

    def _require_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("store is closed")
        return self._connection

    # -- disk space -------------------------------------------------------------------------------
    async def _make_room(self) -> None:
        """After SQLITE_FULL: refuse payments, give the reserve back and truncate the log."""
        if self.disk.keep_reserve:
            self.disk.disk_full("SQLite reported the disk full")  # first: no payment may take the room
            await self._in_store_thread(self.disk.relieve)

    async def _resume_when_space_returns(self) -> None:
        """While payments are refused for space: accept them again once the reserve fits twice."""
        if self.disk.refusing_payments:
            await self._in_store_thread(self.disk.space_returned)

    async def _in_store_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._require_connection()
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, connection)

    # -- counts of waiting deliveries -------------------------------------------------------------
    def _count_waiting(self) -> tuple[int, list[tuple[str, str, int]]]:
        """The writer's data version and the deliveries not yet sent, counted (a scan of the outbox)."""
        connection = self._require_connection()
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        return version, connection.execute(_COUNT_WAITING).fetchall()

    def _apply_count(self, counted: tuple[int, list[tuple[str, str, int]]]) -> None:
        self._data_version, rows = counted
        self.waiting.reset(rows)

    def _schedule_external_check(self) -> None:
        def due() -> None:
            self._external_check_due = True
            if self._wakeup is not None:
                self._wakeup.set()
            self._schedule_external_check()

        self._external_check = asyncio.get_running_loop().call_later(EXTERNAL_CHANGE_CHECK_SECONDS, due)

    async def _follow_external_changes(self) -> None:
        """Count again when another process committed (the writer loop owns the connection here)."""
        connection = self._require_connection()
        try:
            if connection.execute("PRAGMA data_version").fetchone()[0] == self._data_version:
                return
            # Let every writer whose commit already returned apply its own change first; the
            # count below includes those commits, and later ones apply on top of it.
            await asyncio.sleep(0)
            counted = await asyncio.get_running_loop().run_in_executor(self._executor, self._count_waiting)
            self._apply_count(counted)
        except sqlite3.Error as error:  # a disk error: the count is retried at the next check
            log.warning("counting the deliveries waiting in %s failed: %s", self.path, error)

    async def delivery_counts(self) -> dict[str, dict[str, int]]:
        """``{notifier: {"pending": n, "failed": n}}``, from memory: cheap enough for every request."""
        return self.waiting.snapshot()

    # -- writes -----------------------------------------------------------------------------------
    async def ingest(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> StoredIngest:
        """Insert new payments with one pending delivery per lane, and save ``state``, atomically.

        While the disk is full this raises SQLITE_FULL at once: the space left is for delivery records.
        """
        if self.disk.refusing_payments:
            raise refused_for_space()
        stored: StoredIngest = await self.write(_IngestRequest(payments, lanes, state))
        for lane in lanes:
            self.waiting.add(lane.notifier, "pending", len(stored.new_event_ids))
        return stored

    async def ingest_matching(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> StoredIngest:
        """:meth:`ingest`, where a payment with a ``match`` another telling already made is a repeat.

        A repeat is kept in ``tellings``, linked to the first telling, and gets no delivery; the
        check and the write are one transaction (see :mod:`payalert_core.tellings`).
        """
        if self.disk.refusing_payments:
            raise refused_for_space()
        stored: StoredIngest = await self.write(
            lambda connection: _ingest_matching(connection, payments, lanes, state)
        )
        for lane in lanes:
            self.waiting.add(lane.notifier, "pending", len(stored.new_event_ids))
        return stored

    async def tellings(self, source: str, external_id: str) -> list[Telling]:
        """Every telling of the payment this source's payment belongs to, the first one first."""
        return await self.read(lambda connection: read_tellings(connection, source, external_id))

    async def tellings_of(self, match: PaymentMatch) -> list[Telling]:
        """Every stored telling of the payment ``match`` tells (what a new telling would repeat)."""
        return await self.read(lambda connection: read_tellings_of(connection, match))

    async def save_state(self, owner: str, key: str, value: Any) -> None:
        """Durably save one JSON value."""
        await self.write(lambda connection: _save_state(connection, owner, key, value))

    async def mark_sent(self, delivery_id: int) -> None:
        """Record a successful send."""
        await self._update(delivery_id, "sent", None, None)

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Record a permanent failure (kept for ``retry-failed``)."""
        await self._update(delivery_id, "failed", error, None)

    async def mark_retry(self, delivery_id: int, error: str, next_attempt_at: float) -> None:
        """Record a temporary failure and when to try again."""
        await self._update(delivery_id, "pending", error, next_attempt_at)

    async def _update(self, delivery_id: int, status: str, error: str | None, next_at: float | None) -> None:
        now = time.time()

        def operation(connection: sqlite3.Connection) -> tuple[str, str] | None:
            before = connection.execute(
                "SELECT notifier, status FROM deliveries WHERE id = ?", (delivery_id,)
            ).fetchone()
            connection.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = COALESCE(?, next_attempt_at), first_attempt_at = COALESCE(first_attempt_at, ?),"
                " updated_at = ? WHERE id = ?",
                (status, error, next_at, now, _now_iso(), delivery_id),
            )
            return before

        before = await self._write_until_recorded(operation)
        if before is not None:
            self.waiting.move(before[0], before[1], status)

    async def _write_until_recorded(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """Write a delivery outcome, waiting out storage errors until it is recorded or cancelled.

        Failing instead would make the lane send the same alert again, or stop it. The wait grows to
        ``RECORD_RETRY_MAX``; it ends when the disk accepts the write or at shutdown (cancellation).
        """
        delay = RECORD_RETRY_FIRST
        while True:
            try:
                return await self.write(operation)
            except sqlite3.Error as error:
                if not is_storage_error(error):
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECORD_RETRY_MAX)

    async def retitle_event(self, event_id: int, title: str) -> None:
        """Give a stored alert a new title before it is sent (the catch-up line, once its count is known)."""

        def operation(connection: sqlite3.Connection) -> None:
            (text,) = connection.execute("SELECT payment FROM events WHERE id = ?", (event_id,)).fetchone()
            payment = Payment.from_json(text).replace(title=title)
            connection.execute("UPDATE events SET payment = ? WHERE id = ?", (payment.to_json(), event_id))

        await self.write(operation)

    async def retry_failed(self, ids: Sequence[int] | None = None, notifier: str | None = None) -> int:
        """Make failed deliveries pending again (all, those in ``ids``, or one notifier's); return how many."""
        now = time.time()

        def operation(connection: sqlite3.Connection) -> list[tuple[str, int]]:
            where = "status = 'failed'"
            chosen: list[Any] = []
            if ids is not None:
                where += f" AND id IN ({','.join('?' * len(ids))})"
                chosen = list(ids)
            if notifier is not None:
                where += " AND notifier = ?"
                chosen.append(notifier)
            moved = connection.execute(
                f"SELECT notifier, COUNT(*) FROM deliveries WHERE {where} GROUP BY notifier", chosen
            ).fetchall()
            connection.execute(
                "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, first_attempt_at = NULL,"
                f" updated_at = ? WHERE {where}",
                [now, _now_iso(), *chosen],
            )
            return moved

        moved = await self.write(operation)
        for notifier, count in moved:
            self.waiting.move(notifier, "failed", "pending", count)
        return sum(count for _, count in moved)

    # -- reads ------------------------------------------------------------------------------------
    async def load_state(self, owner: str, key: str) -> Any:
        """A JSON value saved earlier, or None."""

        def query(connection: sqlite3.Connection) -> Any:
            row = connection.execute(
                "SELECT value FROM state WHERE owner = ? AND key = ?", (owner, key)
            ).fetchone()
            return None if row is None else json.loads(row[0])

        return await self.read(query)

    async def pending(self, lane: Lane, limit: int = 50) -> list[Delivery]:
        """The oldest pending deliveries of one lane, in order."""
        return await self.read(
            lambda connection: _deliveries(
                connection,
                "d.notifier = ? AND d.target = ? AND d.status = 'pending' ORDER BY d.id LIMIT ?",
                (lane.notifier, lane.target, limit),
            )
        )

    async def deliveries(self, statuses: Sequence[str], limit: int = 1000) -> list[Delivery]:
        """Deliveries in the given statuses, oldest first."""
        marks = ",".join("?" * len(statuses))
        return await self.read(
            lambda connection: _deliveries(
                connection, f"d.status IN ({marks}) ORDER BY d.id LIMIT ?", (*statuses, limit)
            )
        )

    async def first_alert(self, source: str, identity: str, before_event_id: int) -> Payment | None:
        """The first alert of a payment (its ``identity``) stored before ``before_event_id``, or None."""
        return await self.read(lambda connection: first_alert(connection, source, identity, before_event_id))

    async def recent_payments(self, limit: int) -> list[Payment]:
        """The newest stored payments, newest first."""

        def query(connection: sqlite3.Connection) -> list[Payment]:
            rows = connection.execute("SELECT payment FROM events ORDER BY id DESC LIMIT ?", (limit,))
            return [Payment.from_json(row[0]) for row in rows]

        return await self.read(query)

    async def transfers_since(self, since: float, after_id: int = 0) -> Transfers:
        """Money moved in or out since ``since`` (epoch seconds), in events after ``after_id``.

        Rows are ``(occurred_epoch, direction, currency, amount)``, the amount as its exact decimal
        text; notices are left out. ``last_id`` is the newest event read: pass it as ``after_id``
        next time to read only what was stored since (events never change once stored).
        """

        def query(connection: sqlite3.Connection) -> Transfers:
            (last_id,) = connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
            if after_id:
                rows = connection.execute(TRANSFERS_ADDED, (since, after_id, last_id)).fetchall()
            else:
                rows = connection.execute(TRANSFERS_SINCE, (since, last_id)).fetchall()
            return Transfers(last_id, rows)

        return await self.read(query)

    async def unsent_deliveries(self) -> list[tuple[str, str, bool, int]]:
        """``(notifier, status, tried, count)`` of deliveries not yet sent; ``tried``: attempted before."""
        return await self.read(
            lambda connection: [
                (notifier, status, bool(tried), count)
                for notifier, status, tried, count in connection.execute(UNSENT_DELIVERIES)
            ]
        )

    async def state_written(self, owner_prefix: str) -> dict[str, str]:
        """``{owner: updated_at}``: when each owner starting with ``owner_prefix`` last saved state."""
        return await self.read(
            lambda connection: dict(
                connection.execute(STATE_WRITTEN, (owner_prefix, owner_prefix + "\uffff"))
            )
        )


def _rollback_quietly(connection: sqlite3.Connection) -> None:
    """End any open transaction; the error that got us here is the one worth raising."""
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")


def _rewrite_version(connection: sqlite3.Connection) -> None:
    """The smallest real write (the header's schema version, unchanged): probes writability."""
    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _rewrite_version_in_a_transaction(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    _rewrite_version(connection)
    connection.execute("COMMIT")


def _one(operation: Callable[[sqlite3.Connection], Any], connection: sqlite3.Connection) -> list[Any]:
    return [operation(connection)]


def _bulk_ingest(connection: sqlite3.Connection, requests: list[_IngestRequest]) -> list[StoredIngest]:
    """Every request of a group in a few statements: events, then their deliveries, then state.

    Event ids grow in request order, so each lane's deliveries keep the order payments arrived in.
    A payment already stored, or repeated within the group, counts as a duplicate of its first copy.
    """
    now, created = time.time(), _now_iso()
    (last_id,) = connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
    connection.executemany(
        "INSERT INTO events (source, external_id, kind, payment, created_at,"
        " occurred_epoch, direction, currency, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (source, external_id) DO NOTHING",
        [
            (
                p.source,
                p.external_id,
                p.kind,
                p.to_json(),
                created,
                p.occurred_at.timestamp(),
                p.direction.value,
                p.currency,
                None if p.amount is None else str(p.amount),
            )
            for r in requests
            for p in r.payments
        ],
    )
    new_ids = {
        (source, external_id): event_id
        for event_id, source, external_id in connection.execute(
            "SELECT id, source, external_id FROM events WHERE id > ?", (last_id,)
        )
    }
    results: list[StoredIngest] = []
    deliveries: list[tuple[int, str, str, float, str]] = []
    state: list[tuple[str, str, str, str]] = []
    for request in requests:
        stored: list[int] = []
        for payment in request.payments:
            event_id = new_ids.pop((payment.source, payment.external_id), None)
            if event_id is not None:
                stored.append(event_id)
                deliveries.extend(
                    (event_id, lane.notifier, lane.target, now, created) for lane in request.lanes
                )
        results.append(StoredIngest(stored, len(request.payments) - len(stored)))
        state.extend(
            (owner, key, json.dumps(value), created) for (owner, key), value in request.state.items()
        )
    connection.executemany(
        "INSERT INTO deliveries (event_id, notifier, target, status, next_attempt_at, updated_at)"
        " VALUES (?, ?, ?, 'pending', ?, ?)",
        deliveries,
    )
    if state:
        connection.executemany(_SAVE_STATE, state)
    return results


def _ingest_matching(
    connection: sqlite3.Connection,
    payments: Sequence[Payment],
    lanes: Sequence[Lane],
    state: dict[tuple[str, str], Any],
) -> StoredIngest:
    """One ingest whose matched payments are first looked up among the stored tellings."""
    created = _now_iso()
    alerting: list[Payment] = []
    repeats: list[Repeat] = []
    redelivered = 0
    for payment in payments:
        match = payment.match
        if match is None:
            alerting.append(payment)
        elif known_telling(connection, payment.source, payment.external_id):
            redelivered += 1
        elif (first := first_telling(connection, match)) is not None:
            record_telling(connection, payment.source, payment.external_id, match, first[0], created)
            repeats.append(Repeat(payment.source, payment.external_id, first[1], first[2]))
        else:
            record_telling(connection, payment.source, payment.external_id, match, None, created)
            alerting.append(payment)
    (stored,) = _bulk_ingest(connection, [_IngestRequest(alerting, lanes, state)])
    return StoredIngest(stored.new_event_ids, stored.duplicates + redelivered, tuple(repeats))


_TRANSFERS = (
    "SELECT occurred_epoch, direction, currency, amount FROM events"
    " WHERE amount IS NOT NULL AND direction IN ('in', 'out')"
)
#: Read by ``transfers_since``: all of a period from the covering index ``events_money_by_time``
#: (``+id``: the id bound is checked in the index, never used to walk the table).
TRANSFERS_SINCE = _TRANSFERS + " AND occurred_epoch >= ? AND +id <= ?"
#: Read by ``transfers_since`` after an earlier read: only the events stored since, by id.
TRANSFERS_ADDED = _TRANSFERS + " AND +occurred_epoch >= ? AND id > ? AND id <= ?"
#: Read by ``unsent_deliveries``, from the partial index ``deliveries_unsent``.
UNSENT_DELIVERIES = (
    "SELECT notifier, status, attempts > 0, COUNT(*) FROM deliveries WHERE status != 'sent'"
    " GROUP BY notifier, status, attempts > 0"
)
#: Read by ``state_written``: a range of the primary key's owners.
STATE_WRITTEN = "SELECT owner, MAX(updated_at) FROM state WHERE owner >= ? AND owner < ? GROUP BY owner"
_COUNT_WAITING = (
    "SELECT notifier, status, COUNT(*) FROM deliveries WHERE status != 'sent' GROUP BY notifier, status"
)
_SAVE_STATE = (
    "INSERT INTO state (owner, key, value, updated_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)


def _save_state(connection: sqlite3.Connection, owner: str, key: str, value: Any) -> None:
    connection.execute(_SAVE_STATE, (owner, key, json.dumps(value), _now_iso()))


def _deliveries(connection: sqlite3.Connection, where: str, parameters: tuple) -> list[Delivery]:
    rows = connection.execute(
        "SELECT d.id, d.event_id, d.notifier, d.target, d.status, d.attempts, d.next_attempt_at,"
        " d.first_attempt_at, d.last_error, e.payment FROM deliveries d JOIN events e ON e.id = d.event_id"
        f" WHERE {where}",
        parameters,
    )
    fields = (
        "id",
        "event_id",
        "notifier",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "first_attempt_at",
    )
    return [
        Delivery(
            **dict(zip(fields, row[:8], strict=True)), last_error=row[8], payment=Payment.from_json(row[9])
        )
        for row in rows
    ]
