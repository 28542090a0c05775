"""The PostgreSQL store's tellings, and its reads for the status page, a payment's life, the digest
and catch-up.

Event ids come from a sequence, so with several writers a smaller id can commit after a larger
one. The status page keeps its totals between renders and reads only the events after the last
one it counted: here that boundary is the newest event stored more than :data:`SETTLE_SECONDS`
ago (every ingest commits within that), and the events after it are read afresh each time as
``unsettled`` rows, counted for the render but not kept.
"""

from __future__ import annotations

import contextlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..model import Payment
from ..tellings import PaymentMatch, Telling
from . import postgres_outbox as outbox_sql
from . import postgres_tellings as tellings
from .outbox import Lane, StoredIngest, Transfers

#: How long after its transaction began an event is surely committed (statements time out sooner).
SETTLE_SECONDS = 60

#: The newest event stored more than SETTLE_SECONDS ago (walks the primary key back from the end).
SETTLED_ID = (
    "SELECT COALESCE((SELECT id FROM events WHERE created_at < now() - make_interval(secs => %(settle)s)"
    " ORDER BY id DESC LIMIT 1), 0) AS id"
)
_TRANSFERS = (
    "SELECT occurred_epoch, direction, currency, amount FROM events"
    " WHERE amount IS NOT NULL AND direction IN ('in', 'out') AND occurred_epoch >= %(since)s"
)
#: Read by ``transfers_since``: a period from the covering index ``events_money_by_time``
#: (``id + 0``: the id bound is checked in the index, never used to walk the table).
TRANSFERS_SINCE = _TRANSFERS + " AND id + 0 <= %(last)s"
#: Read by ``transfers_since`` after an earlier read: only the events stored since, by id.
TRANSFERS_ADDED = _TRANSFERS + " AND id > %(after)s AND id <= %(last)s"
#: The events after the settled boundary, read at every render.
TRANSFERS_UNSETTLED = _TRANSFERS + " AND id > %(last)s"
#: Read by ``unsent_deliveries``, from the partial index ``deliveries_unsent``.
UNSENT_DELIVERIES = (
    "SELECT notifier, status, attempts > 0 AS tried, count(*) AS count FROM deliveries"
    " WHERE status <> 'sent' GROUP BY 1, 2, 3"
)
#: Read by ``state_written``: a range of the primary key's owners.
STATE_WRITTEN = (
    "SELECT owner, max(updated_at) AS written FROM state WHERE owner >= %s AND owner < %s GROUP BY owner"
)
#: Read by ``first_alert``, from the partial index ``events_by_identity``.
FIRST_ALERT = (
    "SELECT payment FROM events WHERE source = %s AND payment::jsonb ->> 'identity' = %s"
    " AND payment::jsonb ->> 'identity' IS NOT NULL AND id < %s ORDER BY id LIMIT 1"
)


class PostgresReads(ABC):
    """The tellings and the reads :class:`~.base.Store` asks for beyond the outbox, from PostgreSQL."""

    @abstractmethod
    def _connection(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """A pooled connection (in autocommit mode)."""

    @abstractmethod
    async def _read(self, query: str, arguments: Any = None) -> list[dict[str, Any]]:
        """Rows of one statement, by column name."""

    @abstractmethod
    def _queued(self, stored: StoredIngest, lanes: Sequence[Lane]) -> None:
        """Tell the other nodes about deliveries an ingest queued."""

    async def ingest_matching(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> StoredIngest:
        """:meth:`ingest`, where a payment with a ``match`` another telling already made is a repeat."""
        async with self._connection() as connection, connection.transaction():
            stored = await tellings.ingest_matching(connection, payments, lanes, state)
        self._queued(stored, lanes)
        return stored

    async def tellings(self, source: str, external_id: str) -> list[Telling]:
        """Every telling of the payment this source's payment belongs to, the first one first."""
        async with self._connection() as connection:
            return await tellings.read_tellings(connection, source, external_id)

    async def tellings_of(self, match: PaymentMatch) -> list[Telling]:
        """Every stored telling of the payment ``match`` tells (what a new telling would repeat)."""
        async with self._connection() as connection:
            return await tellings.read_tellings_of(connection, match)

    async def retitle_event(self, event_id: int, title: str) -> None:
        """Give a stored alert a new title before it is sent."""
        async with self._connection() as connection, connection.transaction():
            cursor = await connection.execute(
                "SELECT payment FROM events WHERE id = %s FOR UPDATE", (event_id,)
            )
            (text,) = await cursor.fetchone()
            payment = Payment.from_json(text).replace(title=title)
            await connection.execute(
                "UPDATE events SET payment = %s WHERE id = %s", (payment.to_json(), event_id)
            )

    async def load_state(self, owner: str, key: str) -> Any:
        """A JSON value saved earlier, or None."""
        rows = await self._read(outbox_sql.LOAD_STATE, (owner, key))
        return None if not rows else json.loads(rows[0]["value"])

    async def recent_payments(self, limit: int) -> list[Payment]:
        """The newest stored payments, newest first; one told in several alerts, as its latest alert."""
        return [
            Payment.from_json(row["payment"])
            for row in await self._read(outbox_sql.RECENT_PAYMENTS, (limit,))
        ]

    async def first_alert(self, source: str, identity: str, before_event_id: int) -> Payment | None:
        """The first alert of a payment (its ``identity``) stored before ``before_event_id``, or None."""
        rows = await self._read(FIRST_ALERT, (source, identity, before_event_id))
        return Payment.from_json(rows[0]["payment"]) if rows else None

    async def transfers_since(self, since: float, after_id: int = 0) -> Transfers:
        """Money moved in or out since ``since`` (epoch seconds), in events after ``after_id``."""
        async with self._connection() as connection:
            cursor = await connection.execute(SETTLED_ID, {"settle": SETTLE_SECONDS})
            (last,) = await cursor.fetchone()
            arguments = {"since": since, "after": after_id, "last": last}
            cursor = await connection.execute(TRANSFERS_ADDED if after_id else TRANSFERS_SINCE, arguments)
            rows = await cursor.fetchall()
            cursor = await connection.execute(TRANSFERS_UNSETTLED, arguments)
            unsettled = await cursor.fetchall()
        return Transfers(max(last, after_id), rows, unsettled)

    async def unsent_deliveries(self) -> list[tuple[str, str, bool, int]]:
        """``(notifier, status, tried, count)`` of deliveries not yet sent; ``tried``: attempted before."""
        rows = await self._read(UNSENT_DELIVERIES)
        return [(row["notifier"], row["status"], row["tried"], row["count"]) for row in rows]

    async def state_written(self, owner_prefix: str) -> dict[str, str]:
        """``{owner: updated_at}``: when each owner starting with ``owner_prefix`` last saved state."""
        rows = await self._read(STATE_WRITTEN, (owner_prefix, owner_prefix + "\uffff"))
        return {row["owner"]: row["written"].isoformat() for row in rows}

    async def last_event_id(self) -> int:
        """The id of the newest stored event (0 when there is none)."""
        return (await self._read("SELECT COALESCE(max(id), 0) AS id FROM events"))[0]["id"]

    async def event_id(self, source: str, external_id: str) -> int | None:
        """The id of a stored event, or None."""
        rows = await self._read(
            "SELECT id FROM events WHERE source = %s AND external_id = %s", (source, external_id)
        )
        return rows[0]["id"] if rows else None

    async def payments_after(self, event_id: int) -> list[Payment]:
        """The payments stored after event ``event_id``, oldest first."""
        rows = await self._read("SELECT payment FROM events WHERE id > %s ORDER BY id", (event_id,))
        return [Payment.from_json(row["payment"]) for row in rows]

    async def payments_stored_between(self, start: datetime, end: datetime) -> list[Payment]:
        """The payments stored in ``[start, end)``, oldest first."""
        rows = await self._read(
            "SELECT payment FROM events WHERE created_at >= %s AND created_at < %s ORDER BY id", (start, end)
        )
        return [Payment.from_json(row["payment"]) for row in rows]

    async def failed_deliveries_between(self, start: datetime, end: datetime) -> int:
        """How many deliveries failed for good in ``[start, end)``."""
        rows = await self._read(
            "SELECT count(*) AS count FROM deliveries WHERE status = 'failed'"
            " AND updated_at >= %s AND updated_at < %s",
            (start, end),
        )
        return rows[0]["count"]

    async def stored_before(self, moment: datetime) -> bool:
        """True when any event was stored before ``moment``."""
        return bool(await self._read("SELECT 1 FROM events WHERE created_at < %s LIMIT 1", (moment,)))
