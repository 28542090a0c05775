"""The SQLite store's reads for the status page, a payment's life, tellings, the digest and catch-up.

Each statement the status page runs on every render reads an index only (``tests`` check the
query plans); the digest's day of events is read without one, in the reading thread.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..model import Payment
from ..tellings import PaymentMatch, Telling
from .outbox import Transfers
from .sqlite_tellings import read_tellings, read_tellings_of

T = TypeVar("T")

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
#: Read by ``first_alert``, from the partial index ``events_by_identity``.
FIRST_ALERT = (
    "SELECT payment FROM events WHERE source = ? AND json_extract(payment, '$.identity') = ?"
    " AND id < ? ORDER BY id LIMIT 1"
)


def _iso(moment: datetime) -> str:
    """A time as the ``created_at`` and ``updated_at`` columns hold it (UTC, milliseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _transfers(connection: sqlite3.Connection, since: float, after_id: int) -> Transfers:
    (last_id,) = connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
    if after_id:
        rows = connection.execute(TRANSFERS_ADDED, (since, after_id, last_id)).fetchall()
    else:
        rows = connection.execute(TRANSFERS_SINCE, (since, last_id)).fetchall()
    return Transfers(last_id, [tuple(row) for row in rows])


def _payments(connection: sqlite3.Connection, where: str, parameters: tuple[Any, ...]) -> list[Payment]:
    rows = connection.execute(f"SELECT payment FROM events WHERE {where} ORDER BY id", parameters)
    return [Payment.from_json(row[0]) for row in rows]


class SQLiteReads(ABC):
    """The reads :class:`~.base.Store` asks for beyond the outbox, answered from the SQLite file."""

    @abstractmethod
    async def read(self, query: Callable[[Any], T]) -> T:
        """Run a short indexed read."""

    @abstractmethod
    async def read_in_thread(self, query: Callable[[Any], T]) -> T:
        """Run a read that scans, off the event loop."""

    async def tellings(self, source: str, external_id: str) -> list[Telling]:
        """Every telling of the payment this source's payment belongs to, the first one first."""
        return await self.read(lambda connection: read_tellings(connection, source, external_id))

    async def tellings_of(self, match: PaymentMatch) -> list[Telling]:
        """Every stored telling of the payment ``match`` tells (what a new telling would repeat)."""
        return await self.read(lambda connection: read_tellings_of(connection, match))

    async def first_alert(self, source: str, identity: str, before_event_id: int) -> Payment | None:
        """The first alert of a payment (its ``identity``) stored before ``before_event_id``, or None."""
        rows = await self.read(
            lambda connection: connection.execute(FIRST_ALERT, (source, identity, before_event_id)).fetchall()
        )
        return Payment.from_json(rows[0][0]) if rows else None

    async def transfers_since(self, since: float, after_id: int = 0) -> Transfers:
        """Money moved in or out since ``since`` (epoch seconds), in events after ``after_id``."""
        return await self.read(lambda connection: _transfers(connection, since, after_id))

    async def unsent_deliveries(self) -> list[tuple[str, str, bool, int]]:
        """``(notifier, status, tried, count)`` of deliveries not yet sent; ``tried``: attempted before."""
        rows = await self.read(lambda connection: connection.execute(UNSENT_DELIVERIES).fetchall())
        return [(notifier, status, bool(tried), count) for notifier, status, tried, count in rows]

    async def state_written(self, owner_prefix: str) -> dict[str, str]:
        """``{owner: updated_at}``: when each owner starting with ``owner_prefix`` last saved state."""
        bounds = (owner_prefix, owner_prefix + "\uffff")
        rows = await self.read(lambda connection: connection.execute(STATE_WRITTEN, bounds).fetchall())
        return {owner: written for owner, written in rows}

    async def last_event_id(self) -> int:
        """The id of the newest stored event (0 when there is none)."""
        return await self.read(
            lambda connection: connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        )

    async def event_id(self, source: str, external_id: str) -> int | None:
        """The id of a stored event, or None."""
        rows = await self.read(
            lambda connection: connection.execute(
                "SELECT id FROM events WHERE source = ? AND external_id = ?", (source, external_id)
            ).fetchall()
        )
        return int(rows[0][0]) if rows else None

    async def payments_after(self, event_id: int) -> list[Payment]:
        """The payments stored after event ``event_id``, oldest first."""
        return await self.read(lambda connection: _payments(connection, "id > ?", (event_id,)))

    async def payments_stored_between(self, start: datetime, end: datetime) -> list[Payment]:
        """The payments stored in ``[start, end)``, oldest first (a scan: read in a thread)."""
        bounds = (_iso(start), _iso(end))
        return await self.read_in_thread(
            lambda connection: _payments(connection, "created_at >= ? AND created_at < ?", bounds)
        )

    async def failed_deliveries_between(self, start: datetime, end: datetime) -> int:
        """How many deliveries failed for good in ``[start, end)``."""
        bounds = (_iso(start), _iso(end))
        return await self.read_in_thread(
            lambda connection: connection.execute(
                "SELECT COUNT(*) FROM deliveries WHERE status = 'failed' AND updated_at >= ? AND updated_at < ?",
                bounds,
            ).fetchone()[0]
        )

    async def stored_before(self, moment: datetime) -> bool:
        """True when any event was stored before ``moment``."""
        rows = await self.read(
            lambda connection: connection.execute(
                "SELECT 1 FROM events WHERE created_at < ? LIMIT 1", (_iso(moment),)
            ).fetchall()
        )
        return bool(rows)
