"""The SQLite side of tellings (:mod:`payalert_core.tellings`): one payment told twice alerts once.

:class:`IngestMatching` looks each matched payment up among the stored tellings and stores it in
the same transaction: a later telling of a payment already told becomes a repeat, linked to the
first, with no event and no delivery.
"""

from __future__ import annotations

import sqlite3

from ..model import Payment
from ..tellings import PaymentMatch, Repeat, Telling, first_of, telling_from_row
from .outbox import StoredIngest, now_iso
from .sqlite_outbox import IngestOperation
from .writer import WriteOperation

_CANDIDATES = (
    "SELECT t.reference, t.fingerprint, t.told_at, f.id, f.source, f.external_id, f.reference"
    " FROM tellings t JOIN tellings f ON f.id = COALESCE(t.first_id, t.id)"
    " WHERE t.issuer = ? AND (t.reference = ? OR (t.fingerprint = ? AND t.told_at BETWEEN ? AND ?))"
    " ORDER BY t.id"
)
_RECORD = (
    "INSERT INTO tellings (source, external_id, issuer, reference, fingerprint, told_at, first_id,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, external_id) DO NOTHING"
)
_OF_PAYMENT = (
    "SELECT t.source, t.external_id, t.issuer, t.reference, t.fingerprint, t.told_at, f.source,"
    " f.external_id FROM tellings t JOIN tellings f ON f.id = COALESCE(t.first_id, t.id)"
    " WHERE t.id = ? OR t.first_id = ? ORDER BY t.id"
)


class IngestMatching(WriteOperation):
    """An ingest whose matched payments are first looked up among the stored tellings."""

    def __init__(self, ingest: IngestOperation) -> None:
        self.ingest = ingest

    def apply(self, connection: sqlite3.Connection) -> StoredIngest:
        """Record each telling, then ingest the payments that alert; repeats and redeliveries are not."""
        created = now_iso()
        alerting: list[Payment] = []
        repeats: list[Repeat] = []
        redelivered = 0
        for payment in self.ingest.payments:
            match = payment.match
            if match is None:
                alerting.append(payment)
            elif known_telling(connection, payment.source, payment.external_id):
                redelivered += 1
            elif (first := first_telling(connection, match)) is not None:
                _record(connection, payment, match, first[0], created)
                repeats.append(Repeat(payment.source, payment.external_id, first[1], first[2]))
            else:
                _record(connection, payment, match, None, created)
                alerting.append(payment)
        alerting_only = IngestOperation(alerting, self.ingest.lanes, self.ingest.state)
        (stored,) = IngestOperation.apply_many(connection, [alerting_only])
        return StoredIngest(stored.new_event_ids, stored.duplicates + redelivered, tuple(repeats))


def known_telling(connection: sqlite3.Connection, source: str, external_id: str) -> bool:
    """True when this telling (the same source and id: a redelivery or a re-read) is stored already."""
    row = connection.execute(
        "SELECT 1 FROM tellings WHERE source = ? AND external_id = ?", (source, external_id)
    ).fetchone()
    return row is not None


def first_telling(connection: sqlite3.Connection, match: PaymentMatch) -> tuple[int, str, str] | None:
    """``(id, source, external_id)`` of the first telling of the payment ``match`` tells, or None."""
    told_at, window = match.told_at.timestamp(), match.window.total_seconds()
    rows = connection.execute(
        _CANDIDATES, (match.issuer, match.reference, match.fingerprint, told_at - window, told_at + window)
    )
    return first_of(match, (tuple(row) for row in rows))


def _record(
    connection: sqlite3.Connection, payment: Payment, match: PaymentMatch, first_id: int | None, created: str
) -> None:
    """Store one telling; ``first_id`` links a repeat to the first telling of its payment."""
    connection.execute(
        _RECORD,
        (
            payment.source,
            payment.external_id,
            match.issuer,
            match.reference,
            match.fingerprint,
            match.told_at.timestamp(),
            first_id,
            created,
        ),
    )


def read_tellings(connection: sqlite3.Connection, source: str, external_id: str) -> list[Telling]:
    """The payment this telling belongs to: its first telling and every repeat, oldest first."""
    row = connection.execute(
        "SELECT id, first_id FROM tellings WHERE source = ? AND external_id = ?", (source, external_id)
    ).fetchone()
    if row is None:
        return []
    root = row[1] if row[1] is not None else row[0]
    return [telling_from_row(tuple(found)) for found in connection.execute(_OF_PAYMENT, (root, root))]


def read_tellings_of(connection: sqlite3.Connection, match: PaymentMatch) -> list[Telling]:
    """Every stored telling of the payment ``match`` tells, the first one first; empty when none is."""
    first = first_telling(connection, match)
    return [] if first is None else read_tellings(connection, first[1], first[2])
