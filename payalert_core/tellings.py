"""One payment told twice (a bank's SMS and its e-mail, or two SMS): the first telling alerts, later ones link to it.

A source that knows who moved the money sets ``Payment.match`` (a :class:`PaymentMatch`). The store
keeps every matched payment in its ``tellings`` table; a payment whose match an earlier telling
from another source or message already made is stored there as a repeat of it, linked to the
first, and is given no delivery. The decision and the write happen in one transaction, so two
tellings arriving together still alert once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

#: How far apart two tellings without a common reference may be sent and still be one payment.
DEFAULT_WINDOW = timedelta(minutes=10)

TELLINGS_TABLE = """
    CREATE TABLE tellings (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        issuer TEXT NOT NULL,
        reference TEXT,
        fingerprint TEXT NOT NULL,
        told_at REAL NOT NULL,
        first_id INTEGER REFERENCES tellings (id),
        created_at TEXT NOT NULL,
        UNIQUE (source, external_id)
    );
    CREATE INDEX tellings_by_reference ON tellings (issuer, reference);
    CREATE INDEX tellings_by_fingerprint ON tellings (issuer, fingerprint, told_at);
"""


@dataclass(frozen=True)
class PaymentMatch:
    """What makes two tellings one payment: the same issuer, and the same reference, else the same fingerprint.

    ``issuer`` names who moved the money (``hdfc``); ``reference`` is the issuer's own reference
    for the transaction, when the telling gives one; ``fingerprint`` pins it down without one
    (account, amount and direction); ``told_at`` is when the issuer sent this telling, and
    ``window`` how far apart two tellings matched by fingerprint alone may be.
    """

    issuer: str
    fingerprint: str
    told_at: datetime
    reference: str | None = None
    window: timedelta = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        if self.told_at.tzinfo is None:
            raise ValueError("told_at must be timezone-aware")

    def same_payment(self, reference: str | None, fingerprint: str, told_at: float) -> bool:
        """True when a stored telling (of the same issuer) tells this payment.

        Two references decide alone: different references are different payments however alike
        the rest. Without a reference on both sides the fingerprints must be equal and the two
        tellings sent within ``window`` of each other.
        """
        if self.reference and reference:
            return self.reference == reference
        return fingerprint == self.fingerprint and abs(told_at - self.told_at.timestamp()) <= (
            self.window.total_seconds()
        )


class Repeat(NamedTuple):
    """A payment stored as a later telling of one that already alerted."""

    source: str
    external_id: str
    first_source: str
    first_external_id: str


class Telling(NamedTuple):
    """A stored telling, and the first telling of its payment (itself when it alerted)."""

    source: str
    external_id: str
    issuer: str
    reference: str | None
    fingerprint: str
    told_at: datetime
    first_source: str
    first_external_id: str

    @property
    def is_repeat(self) -> bool:
        """True when another telling of the same payment came first."""
        return (self.source, self.external_id) != (self.first_source, self.first_external_id)


def known_telling(connection: sqlite3.Connection, source: str, external_id: str) -> bool:
    """True when this telling (the same source and id: a redelivery or a re-read) is stored already."""
    row = connection.execute(
        "SELECT 1 FROM tellings WHERE source = ? AND external_id = ?", (source, external_id)
    ).fetchone()
    return row is not None


def first_telling(connection: sqlite3.Connection, match: PaymentMatch) -> tuple[int, str, str] | None:
    """``(id, source, external_id)`` of the first telling of the payment ``match`` tells, or None.

    A stored telling matches when it and the first telling of its payment both tell the same
    payment as ``match`` (a repeat without a reference cannot link two different references).
    """
    lowest = match.told_at.timestamp() - match.window.total_seconds()
    highest = match.told_at.timestamp() + match.window.total_seconds()
    rows = connection.execute(
        "SELECT t.reference, t.fingerprint, t.told_at, f.id, f.source, f.external_id, f.reference"
        " FROM tellings t JOIN tellings f ON f.id = COALESCE(t.first_id, t.id)"
        " WHERE t.issuer = ? AND (t.reference = ? OR (t.fingerprint = ? AND t.told_at BETWEEN ? AND ?))"
        " ORDER BY t.id",
        (match.issuer, match.reference, match.fingerprint, lowest, highest),
    ).fetchall()
    for reference, fingerprint, told_at, first_id, source, external_id, first_reference in rows:
        if match.same_payment(reference, fingerprint, told_at) and not _other_reference(
            match, first_reference
        ):
            return first_id, source, external_id
    return None


def _other_reference(match: PaymentMatch, reference: str | None) -> bool:
    return bool(match.reference and reference and match.reference != reference)


def record_telling(
    connection: sqlite3.Connection,
    source: str,
    external_id: str,
    match: PaymentMatch,
    first_id: int | None,
    created_at: str,
) -> None:
    """Store one telling; ``first_id`` links a repeat to the first telling of its payment."""
    connection.execute(
        "INSERT INTO tellings (source, external_id, issuer, reference, fingerprint, told_at, first_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, external_id) DO NOTHING",
        (
            source,
            external_id,
            match.issuer,
            match.reference,
            match.fingerprint,
            match.told_at.timestamp(),
            first_id,
            created_at,
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
    rows: Sequence[tuple] = connection.execute(
        "SELECT t.source, t.external_id, t.issuer, t.reference, t.fingerprint, t.told_at, f.source,"
        " f.external_id FROM tellings t JOIN tellings f ON f.id = COALESCE(t.first_id, t.id)"
        " WHERE t.id = ? OR t.first_id = ? ORDER BY t.id",
        (root, root),
    ).fetchall()
    return [
        Telling(src, ext, issuer, ref, fp, datetime.fromtimestamp(at, UTC), first_src, first_ext)
        for src, ext, issuer, ref, fp, at, first_src, first_ext in rows
    ]


def read_tellings_of(connection: sqlite3.Connection, match: PaymentMatch) -> list[Telling]:
    """Every stored telling of the payment ``match`` tells, the first one first; empty when none is stored."""
    first = first_telling(connection, match)
    return [] if first is None else read_tellings(connection, first[1], first[2])
