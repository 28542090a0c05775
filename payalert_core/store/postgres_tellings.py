"""The PostgreSQL side of tellings (:mod:`payalert_core.tellings`): one payment told twice alerts once.

Every node may store a telling. The lookup and the write run in one transaction under a
transaction advisory lock per issuer, so two tellings of one payment arriving on two nodes at once
still alert once: the second waits for the first to commit, then finds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model import Payment
from ..tellings import PaymentMatch, Repeat, Telling, first_of, telling_from_row
from . import postgres_outbox as sql
from .outbox import Lane, StoredIngest

#: First key of the transaction advisory locks that serialise matching, one per issuer.
TELLINGS_LOCK = 1_952_803_187

CANDIDATES = (
    "SELECT t.reference, t.fingerprint, t.told_at, f.id, f.source, f.external_id, f.reference"
    " FROM tellings t JOIN tellings f ON f.id = COALESCE(t.first_id, t.id)"
    " WHERE t.issuer = %s AND (t.reference = %s OR (t.fingerprint = %s AND t.told_at BETWEEN %s AND %s))"
    " ORDER BY t.id"
)
KNOWN = "SELECT id, first_id FROM tellings WHERE source = %s AND external_id = %s"
RECORD = (
    "INSERT INTO tellings (source, external_id, issuer, reference, fingerprint, told_at, first_id)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (source, external_id) DO NOTHING"
)
OF_PAYMENT = (
    "SELECT t.source, t.external_id, t.issuer, t.reference, t.fingerprint, t.told_at, f.source,"
    " f.external_id FROM tellings t JOIN tellings f ON f.id = COALESCE(t.first_id, t.id)"
    " WHERE t.id = %(root)s OR t.first_id = %(root)s ORDER BY t.id"
)


async def ingest_matching(
    connection: Any, payments: Sequence[Payment], lanes: Sequence[Lane], state: dict[tuple[str, str], Any]
) -> StoredIngest:
    """Record each telling, then ingest the payments that alert, in the caller's transaction.

    ``connection`` is a psycopg ``AsyncConnection`` inside a transaction.
    """
    for issuer in sorted({payment.match.issuer for payment in payments if payment.match is not None}):
        await connection.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (TELLINGS_LOCK, issuer))
    alerting: list[Payment] = []
    repeats: list[Repeat] = []
    redelivered = 0
    for payment in payments:
        match = payment.match
        if match is None:
            alerting.append(payment)
        elif await _fetch(connection, KNOWN, (payment.source, payment.external_id)):
            redelivered += 1
        elif (first := await first_telling(connection, match)) is not None:
            await _record(connection, payment, match, first[0])
            repeats.append(Repeat(payment.source, payment.external_id, first[1], first[2]))
        else:
            await _record(connection, payment, match, None)
            alerting.append(payment)
    rows = await _fetch(connection, sql.INGEST, sql.ingest_arguments(alerting, lanes, state))
    stored = sql.stored_ingest(alerting, rows)
    return StoredIngest(stored.new_event_ids, stored.duplicates + redelivered, tuple(repeats))


async def first_telling(connection: Any, match: PaymentMatch) -> tuple[int, str, str] | None:
    """``(id, source, external_id)`` of the first telling of the payment ``match`` tells, or None."""
    told_at, window = match.told_at.timestamp(), match.window.total_seconds()
    arguments = (match.issuer, match.reference, match.fingerprint, told_at - window, told_at + window)
    return first_of(match, await _fetch(connection, CANDIDATES, arguments))


async def _record(connection: Any, payment: Payment, match: PaymentMatch, first_id: int | None) -> None:
    """Store one telling; ``first_id`` links a repeat to the first telling of its payment."""
    told_at = match.told_at.timestamp()
    arguments = (payment.source, payment.external_id, match.issuer, match.reference, match.fingerprint)
    await connection.execute(RECORD, (*arguments, told_at, first_id))


async def _fetch(connection: Any, query: str, arguments: Any) -> list[tuple[Any, ...]]:
    cursor = await connection.execute(query, arguments)
    return await cursor.fetchall()


async def read_tellings(connection: Any, source: str, external_id: str) -> list[Telling]:
    """The payment this telling belongs to: its first telling and every repeat, oldest first."""
    found = await _fetch(connection, KNOWN, (source, external_id))
    if not found:
        return []
    telling_id, first_id = found[0]
    root = first_id if first_id is not None else telling_id
    return [telling_from_row(row) for row in await _fetch(connection, OF_PAYMENT, {"root": root})]


async def read_tellings_of(connection: Any, match: PaymentMatch) -> list[Telling]:
    """Every stored telling of the payment ``match`` tells, the first one first; empty when none is."""
    first = await first_telling(connection, match)
    return [] if first is None else await read_tellings(connection, first[1], first[2])
