"""Small builders shared by the core's tests."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from payalert_core import Direction, Payment


def payment(
    external_id: str, amount: str = "10.00", source: str = "shop", kind: str = "test.payment"
) -> Payment:
    """A payment with sensible defaults."""
    return Payment(
        source=source,
        kind=kind,
        external_id=external_id,
        amount=Decimal(amount),
        currency="INR",
        direction=Direction.IN,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        title=f"Payment {external_id}",
    )


class _Unwritable:
    """A value in a payment's raw payload that cannot be turned into text."""

    def __str__(self) -> str:
        raise ValueError("cannot be written")


def unwritable_payment(external_id: str) -> Payment:
    """A payment whose raw payload cannot be stored: its ingest fails with ValueError."""
    return payment(external_id).replace(raw={"x": _Unwritable()})


def postgres_plan(url: str, query: str, parameters: Any) -> str:
    """PostgreSQL's plan of ``query`` with sequential scans off: it names an index the query can use."""
    import psycopg

    with psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor) as connection:
        connection.execute("VACUUM ANALYZE")  # fresh statistics, and a visibility map for index-only scans
        connection.execute("SET enable_seqscan = off")
        rows = connection.execute("EXPLAIN " + query, parameters).fetchall()
    return "\n".join(row[0] for row in rows)
