"""The store's interface: what the daemon, the CLI and delivery may ask of any backend.

Two backends implement it: SQLite (``sqlite.py``, the embedded default) and PostgreSQL
(``postgres.py``, for several nodes sharing one database). Every method that can wait on the
database is a coroutine and never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..coordination import Coordination
from ..errors import StorageUnavailable
from ..model import Payment
from ..tellings import PaymentMatch, Telling
from .outbox import Delivery, DeliveryStatus, Lane, StoredIngest, Transfers

T = TypeVar("T")

log = logging.getLogger("payalert.store")

#: First and longest wait (seconds) between attempts to record a delivery outcome the database refused.
RECORD_RETRY_FIRST = 0.05
RECORD_RETRY_MAX = 2.0

#: Primary SQLite result codes that mean "the disk refuses writes now", not a bug in a statement.
SQLITE_STORAGE_ERROR_CODES = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PERM,
    }
)


def is_storage_error(error: BaseException) -> bool:
    """True for errors that clear when the database recovers (disk full or read-only, server down)."""
    if isinstance(error, StorageUnavailable):
        return True
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.Error) and code is not None and code & 0xFF in SQLITE_STORAGE_ERROR_CODES


async def write_until_recorded(write: Callable[[], Awaitable[T]]) -> T:
    """Write a delivery outcome, waiting out storage errors until it is recorded or cancelled.

    Failing instead would make the lane send the same alert again, or stop it. The wait grows to
    ``RECORD_RETRY_MAX``; it ends when the database accepts the write or at shutdown (cancellation).
    """
    delay = RECORD_RETRY_FIRST
    while True:
        try:
            return await write()
        except Exception as error:
            if not is_storage_error(error):
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, RECORD_RETRY_MAX)


class WriteHealth:
    """Whether the latest writes failed for a storage reason, since when, and the one log line each way."""

    def __init__(self, where: str, remedy: str) -> None:
        self.where = where
        self.remedy = remedy
        self.failure: tuple[str, float] | None = None  # (reason, since) while writes fail

    def note(self, error: BaseException | None) -> None:
        """Remember the first storage failure of an outage (logged once); forget it after a success."""
        if error is None:
            if self.failure is not None:
                log.info(
                    "the database at %s accepts writes again (after %.0fs)",
                    self.where,
                    time.time() - self.failure[1],
                )
                self.failure = None
        elif self.failure is None:
            log.error(
                "the database at %s refuses writes (%s); webhooks are answered 503 and deliveries "
                "wait until it recovers: %s",
                self.where,
                error,
                self.remedy,
            )
            self.failure = (str(error), time.time())

    def document(self) -> dict[str, Any]:
        """``{"writable", "problem", "since"}`` as shown under ``store`` in ``/health``."""
        if self.failure is None:
            return {"writable": True, "problem": None, "since": None}
        reason, since = self.failure
        return unwritable(f"the database refuses writes: {reason}", since)


def unwritable(problem: str, since: float) -> dict[str, Any]:
    """The ``write_health`` of a store that cannot take payments now: why, and since when."""
    when = datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds")
    return {"writable": False, "problem": problem, "since": when}


class Store(ABC):
    """Events, the outbox of deliveries, and the state sources and notifiers keep between runs."""

    #: ``"sqlite"`` or ``"postgresql"``, shown in ``/health``.
    backend: str
    #: Who runs what when several nodes share this store (one node alone runs everything).
    coordination: Coordination

    # -- lifecycle ---------------------------------------------------------------------------------
    @abstractmethod
    async def open(self) -> None:
        """Connect, create or migrate the schema; raise UserError when the store cannot be used."""

    @abstractmethod
    def location(self) -> str:
        """Where the store is, for messages (never with a password)."""

    @abstractmethod
    async def migrate(self) -> tuple[int, int]:
        """Bring the schema up to date without opening the store; the versions before and after."""

    @abstractmethod
    async def close(self) -> None:
        """Finish queued writes, give up leases and locks, close connections."""

    @abstractmethod
    def write_health(self) -> dict[str, Any]:
        """``{"writable", "problem", "since"}``: whether writes fail now, and why."""

    def describe(self) -> dict[str, Any]:
        """Extra facts for ``/health`` (backend, node, what this node runs)."""
        return {"backend": self.backend}

    def on_outbox_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when another node queued deliveries (one node alone wakes itself)."""
        return None

    # -- events and state ------------------------------------------------------------------------
    @abstractmethod
    async def ingest(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> StoredIngest:
        """Insert new payments with one pending delivery per lane, and save ``state``, atomically."""

    @abstractmethod
    async def ingest_matching(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> StoredIngest:
        """:meth:`ingest`, where a payment with a ``match`` another telling already made is a repeat.

        A repeat is kept in ``tellings``, linked to the first telling, and gets no event and no
        delivery; the check and the write are one transaction (see :mod:`payalert_core.tellings`).
        """

    @abstractmethod
    async def tellings(self, source: str, external_id: str) -> list[Telling]:
        """Every telling of the payment this source's payment belongs to, the first one first."""

    @abstractmethod
    async def tellings_of(self, match: PaymentMatch) -> list[Telling]:
        """Every stored telling of the payment ``match`` tells (what a new telling would repeat)."""

    @abstractmethod
    async def retitle_event(self, event_id: int, title: str) -> None:
        """Give a stored alert a new title before it is sent (the catch-up line, once its count is known)."""

    @abstractmethod
    async def save_state(self, owner: str, key: str, value: Any) -> None:
        """Durably save one JSON value."""

    @abstractmethod
    async def load_state(self, owner: str, key: str) -> Any:
        """A JSON value saved earlier, or None."""

    @abstractmethod
    async def recent_payments(self, limit: int) -> list[Payment]:
        """The newest stored payments, newest first; a payment followed through several alerts (one
        ``identity``: pending, then credited) appears once, as its latest alert."""

    @abstractmethod
    async def first_alert(self, source: str, identity: str, before_event_id: int) -> Payment | None:
        """The first alert of a payment (its ``identity``) stored before ``before_event_id``, or None."""

    @abstractmethod
    async def last_event_id(self) -> int:
        """The id of the newest stored event (0 when there is none)."""

    @abstractmethod
    async def event_id(self, source: str, external_id: str) -> int | None:
        """The id of a stored event, or None."""

    @abstractmethod
    async def payments_after(self, event_id: int) -> list[Payment]:
        """The payments stored after event ``event_id``, oldest first."""

    @abstractmethod
    async def payments_stored_between(self, start: datetime, end: datetime) -> list[Payment]:
        """The payments stored in ``[start, end)``, oldest first."""

    @abstractmethod
    async def failed_deliveries_between(self, start: datetime, end: datetime) -> int:
        """How many deliveries failed for good in ``[start, end)``."""

    @abstractmethod
    async def stored_before(self, moment: datetime) -> bool:
        """True when any event was stored before ``moment``."""

    # -- what the status page reads --------------------------------------------------------------
    @abstractmethod
    async def transfers_since(self, since: float, after_id: int = 0) -> Transfers:
        """Money moved in or out since ``since`` (epoch seconds), in events after ``after_id``.

        Rows are ``(occurred_epoch, direction, currency, amount)``, the amount as its exact decimal
        text; notices are left out. ``last_id`` is the newest event read: pass it as ``after_id``
        next time to read only what was stored since (events never change once stored).
        """

    @abstractmethod
    async def unsent_deliveries(self) -> list[tuple[str, str, bool, int]]:
        """``(notifier, status, tried, count)`` of deliveries not yet sent; ``tried``: attempted before."""

    @abstractmethod
    async def state_written(self, owner_prefix: str) -> dict[str, str]:
        """``{owner: updated_at}``: when each owner starting with ``owner_prefix`` last saved state."""

    # -- the outbox ------------------------------------------------------------------------------
    @abstractmethod
    async def pending(self, lane: Lane, limit: int = 50) -> list[Delivery]:
        """The oldest pending deliveries of one lane, in order (a read; claims nothing)."""

    async def claim(self, lane: Lane, limit: int = 50) -> list[Delivery] | None:
        """Take (or keep) the lane for this node and return its next pending deliveries.

        None when another node holds the lane. One node alone always holds every lane.
        """
        return await self.pending(lane, limit)

    def holds(self, lane: Lane) -> bool:
        """Whether this node may send on ``lane`` now (checked before each send, without I/O)."""
        return True

    @abstractmethod
    async def mark_sent(self, delivery_id: int) -> None:
        """Record a successful send."""

    @abstractmethod
    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Record a permanent failure (kept for ``retry-failed``)."""

    @abstractmethod
    async def mark_retry(self, delivery_id: int, error: str, next_attempt_at: float) -> None:
        """Record a temporary failure and when to try again."""

    @abstractmethod
    async def retry_failed(self, ids: Sequence[int] | None = None, notifier: str | None = None) -> int:
        """Make failed deliveries pending again (all, those in ``ids``, or one notifier's); return how many."""

    @abstractmethod
    async def deliveries(self, statuses: Sequence[DeliveryStatus | str], limit: int = 1000) -> list[Delivery]:
        """Deliveries in the given statuses, oldest first."""

    @abstractmethod
    async def delivery_counts(self) -> dict[str, dict[str, int]]:
        """``{notifier: {"pending": n, "failed": n}}``."""
