"""``payalert store copy``: move a SQLite store into an empty PostgreSQL database, ids and all.

The SQLite file is read in one read transaction (a consistent snapshot, even beside a running
daemon) and written in one PostgreSQL transaction, so the target holds all of it or none.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ..errors import UserError
from .outbox import DELIVERY_COLUMNS
from .postgres_connections import first_line
from .postgres_schema import migrate
from .settings import display_url
from .sqlite_schema import connect_read_only

#: Each table with its columns; times stored as text in SQLite become timestamptz.
TABLES = {
    "events": (
        "id",
        "source",
        "external_id",
        "kind",
        "payment",
        "created_at",
        "occurred_epoch",
        "direction",
        "currency",
        "amount",
    ),
    "deliveries": (*DELIVERY_COLUMNS, "updated_at"),
    "state": ("owner", "key", "value", "updated_at"),
    "tellings": (
        "id",
        "source",
        "external_id",
        "issuer",
        "reference",
        "fingerprint",
        "told_at",
        "first_id",
        "created_at",
    ),
}
#: The tables whose ids come from a sequence, set past the copied ids.
SEQUENCED = ("events", "deliveries", "tellings")


@dataclass(frozen=True)
class CopyCounts:
    """Rows copied per table, and the deliveries still waiting among them."""

    events: int
    deliveries: int
    pending: int
    failed: int
    state: int
    tellings: int


async def copy_sqlite_to_postgres(path: Path, url: str) -> CopyCounts:
    """Copy every row of the SQLite store at ``path`` into the empty database at ``url``."""
    where = display_url(url)
    if not path.exists():
        raise UserError(f"there is no store to copy at {path}; check data_dir")
    source = connect_read_only(path)
    try:
        try:
            target = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            raise UserError(f"--to: cannot connect to PostgreSQL at {where} ({first_line(error)})") from None
        async with target:
            await migrate(target, where)
            cursor = await target.execute("SELECT count(*) FROM events")
            (existing,) = await cursor.fetchone()
            if existing:
                raise UserError(
                    f"--to: the database at {where} already holds {existing} events; copy into an empty database"
                )
            source.execute("BEGIN")  # one snapshot of the whole file
            counted: dict[str, int] = {}
            async with target.transaction():
                for table, columns in TABLES.items():
                    counted[table] = await _copy_table(source, target, table, columns)
                for table in SEQUENCED:
                    await target.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)"
                        f" FROM {table}"
                    )
            waiting = dict(
                source.execute(
                    "SELECT status, COUNT(*) FROM deliveries WHERE status != 'sent' GROUP BY status"
                )
            )
    finally:
        source.close()
    return CopyCounts(
        events=counted["events"],
        deliveries=counted["deliveries"],
        pending=waiting.get("pending", 0),
        failed=waiting.get("failed", 0),
        state=counted["state"],
        tellings=counted["tellings"],
    )


async def _copy_table(
    source: sqlite3.Connection, target: psycopg.AsyncConnection, table: str, columns: tuple[str, ...]
) -> int:
    names = ", ".join(columns)
    copied = 0
    async with target.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in source.execute(f"SELECT {names} FROM {table} ORDER BY 1"):
            await copy.write_row(tuple(row))
            copied += 1
    return copied
