"""The SQLite side of the outbox and of state: writes as operations for the group-commit writer,
and the queries the reading connection answers.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any, Self

from ..model import Payment
from .outbox import (
    DELIVERY_COLUMNS,
    Delivery,
    DeliveryStatus,
    Lane,
    StoredIngest,
    delivery_from_row,
    money_columns,
    now_iso,
)
from .writer import BatchableOperation, WriteOperation

SAVE_STATE = (
    "INSERT INTO state (owner, key, value, updated_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)
COUNT_WAITING = "SELECT notifier, status, COUNT(*) AS count FROM deliveries WHERE status != 'sent' GROUP BY notifier, status"
#: The newest events, a payment followed through several alerts (one ``identity``) by its latest
#: alert only; the later alert is found through the partial index ``events_by_identity``.
RECENT_PAYMENTS = """
    SELECT payment FROM events AS e
    WHERE json_extract(e.payment, '$.identity') IS NULL OR NOT EXISTS (
        SELECT 1 FROM events AS later
        WHERE later.source = e.source AND later.id > e.id
        AND json_extract(later.payment, '$.identity') = json_extract(e.payment, '$.identity'))
    ORDER BY e.id DESC LIMIT ?
"""
_SELECT_DELIVERIES = (
    "SELECT " + ", ".join(f"d.{column}" for column in DELIVERY_COLUMNS) + ", e.payment"
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
)


class IngestOperation(BatchableOperation):
    """Payments and state to write; every ingest of a group becomes a few bulk statements."""

    def __init__(
        self, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
    ) -> None:
        self.payments = payments
        self.lanes = lanes
        self.state = state

    @classmethod
    def apply_many(cls, connection: sqlite3.Connection, operations: Sequence[Self]) -> list[StoredIngest]:
        """Events, then their deliveries, then state.

        Event ids grow in request order, so each lane's deliveries keep the order payments arrived
        in. A payment already stored, or repeated within the group, counts as a duplicate of its
        first copy.
        """
        now, created = time.time(), now_iso()
        (last_id,) = connection.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
        connection.executemany(
            "INSERT INTO events (source, external_id, kind, payment, created_at,"
            " occurred_epoch, direction, currency, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source, external_id) DO NOTHING",
            [
                (p.source, p.external_id, p.kind, p.to_json(), created, *money_columns(p))
                for op in operations
                for p in op.payments
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
        for operation in operations:
            stored: list[int] = []
            for payment in operation.payments:
                event_id = new_ids.pop((payment.source, payment.external_id), None)
                if event_id is not None:
                    stored.append(event_id)
                    deliveries.extend(
                        (event_id, lane.notifier, lane.target, now, created) for lane in operation.lanes
                    )
            results.append(StoredIngest(stored, len(operation.payments) - len(stored)))
            state.extend(
                (owner, key, json.dumps(value), created) for (owner, key), value in operation.state.items()
            )
        connection.executemany(
            "INSERT INTO deliveries (event_id, notifier, target, status, next_attempt_at, updated_at)"
            " VALUES (?, ?, ?, 'pending', ?, ?)",
            deliveries,
        )
        if state:
            connection.executemany(SAVE_STATE, state)
        return results


class SaveState(WriteOperation):
    """Save one JSON value."""

    def __init__(self, owner: str, key: str, value: Any) -> None:
        self.row = (owner, key, json.dumps(value))

    def apply(self, connection: sqlite3.Connection) -> None:
        """Upsert the row."""
        connection.execute(SAVE_STATE, (*self.row, now_iso()))


class RecordOutcome(WriteOperation):
    """A send's outcome: the delivery's new status, error and next attempt; one more attempt counted.

    Only a pending delivery changes: a late outcome never reopens one already sent or failed.
    Returns the delivery's notifier and status before the change (None when nothing changed).
    """

    def __init__(
        self, delivery_id: int, status: DeliveryStatus, error: str | None, next_at: float | None
    ) -> None:
        self.delivery_id = delivery_id
        self.status = status
        self.error = error
        self.next_at = next_at
        self.at = time.time()

    def apply(self, connection: sqlite3.Connection) -> tuple[str, str] | None:
        """Update it if it is still pending."""
        changed = connection.execute(
            "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?,"
            " next_attempt_at = COALESCE(?, next_attempt_at), first_attempt_at = COALESCE(first_attempt_at, ?),"
            " updated_at = ? WHERE id = ? AND status = 'pending' RETURNING notifier",
            (self.status.value, self.error, self.next_at, self.at, now_iso(), self.delivery_id),
        ).fetchone()
        return None if changed is None else (changed[0], DeliveryStatus.PENDING.value)


class RetryFailed(WriteOperation):
    """Failed deliveries (all, chosen ids, or one notifier's) become pending again; returns ``[(notifier, count)]``."""

    def __init__(self, ids: Sequence[int] | None, notifier: str | None = None) -> None:
        self.ids = None if ids is None else list(ids)
        self.notifier = notifier

    def apply(self, connection: sqlite3.Connection) -> list[tuple[str, int]]:
        """Count what moves, per notifier, then move it."""
        where = "status = 'failed'"
        chosen: list[Any] = []
        if self.ids is not None:
            where += f" AND id IN ({','.join('?' * len(self.ids))})"
            chosen = list(self.ids)
        if self.notifier is not None:
            where += " AND notifier = ?"
            chosen.append(self.notifier)
        moved = connection.execute(
            f"SELECT notifier, COUNT(*) FROM deliveries WHERE {where} GROUP BY notifier", chosen
        ).fetchall()
        connection.execute(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, first_attempt_at = NULL,"
            f" updated_at = ? WHERE {where}",
            [time.time(), now_iso(), *chosen],
        )
        return [(notifier, count) for notifier, count in moved]


class RetitleEvent(WriteOperation):
    """A stored alert gets a new title before it is sent (the catch-up line, once its count is known)."""

    def __init__(self, event_id: int, title: str) -> None:
        self.event_id = event_id
        self.title = title

    def apply(self, connection: sqlite3.Connection) -> None:
        """Rewrite the event's payment with the new title."""
        (text,) = connection.execute("SELECT payment FROM events WHERE id = ?", (self.event_id,)).fetchone()
        payment = Payment.from_json(text).replace(title=self.title)
        connection.execute("UPDATE events SET payment = ? WHERE id = ?", (payment.to_json(), self.event_id))


# -- queries (on a connection whose rows are sqlite3.Row) ---------------------------------------------
def select_deliveries(
    connection: sqlite3.Connection, where: str, parameters: Sequence[Any]
) -> list[Delivery]:
    """Deliveries with their payments, ``where`` being the rest of the statement."""
    return [
        delivery_from_row(row)
        for row in connection.execute(f"{_SELECT_DELIVERIES} WHERE {where}", parameters)
    ]


def lane_pending(connection: sqlite3.Connection, lane: Lane, limit: int) -> list[Delivery]:
    """The oldest pending deliveries of one lane, in order."""
    return select_deliveries(
        connection,
        "d.notifier = ? AND d.target = ? AND d.status = 'pending' ORDER BY d.id LIMIT ?",
        (lane.notifier, lane.target, limit),
    )


def load_state(connection: sqlite3.Connection, owner: str, key: str) -> Any:
    """A saved JSON value, or None."""
    row = connection.execute("SELECT value FROM state WHERE owner = ? AND key = ?", (owner, key)).fetchone()
    return None if row is None else json.loads(row["value"])


def recent_payments(connection: sqlite3.Connection, limit: int) -> list[Payment]:
    """The newest stored payments, newest first; one told in several alerts, as its latest alert."""
    rows = connection.execute(RECENT_PAYMENTS, (limit,))
    return [Payment.from_json(row["payment"]) for row in rows]


def count_waiting(connection: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """``{notifier: {"pending": n, "failed": n}}`` counted from the outbox."""
    counts: dict[str, dict[str, int]] = {}
    for row in connection.execute(COUNT_WAITING):
        counts.setdefault(row["notifier"], {"pending": 0, "failed": 0})[row["status"]] = row["count"]
    return counts
