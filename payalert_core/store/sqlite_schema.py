"""The SQLite schema, its migrations, and the three ways the store opens the file.

The schema version is SQLite's ``user_version``; each migration runs in its own transaction.
A writing connection is migrated and probed with a real write, its write-ahead log bounded by the
disk reserve (``diskspace``); a read-only one (the CLI's read commands) opens the file with
``mode=ro`` and never writes, migrates or creates anything.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..diskspace import DiskPressure, is_disk_full
from ..errors import StorageUnavailable, UserError
from .writer import BUSY_TIMEOUT_MS, rollback_quietly

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
    # 2: every telling of a matched payment (payalert_core.tellings), a repeat linked to the first.
    """
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
    """,
    # 3: the money of each event in columns of its own, so totals over a period read one covering
    # index (notices, which carry no amount, are not in it), and the deliveries not yet sent.
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
    # 4: a payment's alerts found by (source, identity) without reading every event (payalert_core.
    # lifecycle). Partial: one-off payments (no identity, most of them) add nothing to it.
    """
    CREATE INDEX events_by_identity ON events (source, json_extract(payment, '$.identity'))
        WHERE json_extract(payment, '$.identity') IS NOT NULL;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(path: Path) -> int:
    """The schema version of the file at ``path`` (0 when there is none yet), read without writing."""
    if not path.exists():
        return 0
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return connection.execute("PRAGMA user_version").fetchone()[0]
    finally:
        connection.close()


def rewrite_version(connection: sqlite3.Connection) -> None:
    """The smallest real write (the header's schema version, unchanged): probes writability."""
    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _unusable(path: Path, error: BaseException, verb: str = "use") -> UserError:
    return UserError(
        f"data_dir: cannot {verb} the database at {path} ({error}); point data_dir at a writable folder"
    )


def _full_at_start(path: Path, error: BaseException) -> StorageUnavailable:
    return StorageUnavailable(
        f"data_dir: the disk holding {path.parent} is full ({error}); free space there "
        "(payalert exits 75 so that systemd or Docker starts it again)"
    )


def _check_version(connection: sqlite3.Connection, path: Path) -> int:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        connection.close()
        raise UserError(
            f"the database at {path} has schema version {version}, newer than this payalert "
            f"understands ({SCHEMA_VERSION}); upgrade payalert or point data_dir elsewhere"
        )
    return version


def migrate(connection: sqlite3.Connection, version: int) -> None:
    """Apply every migration after ``version``, each in its own transaction."""
    for number in range(version, SCHEMA_VERSION):
        connection.executescript(
            f"BEGIN IMMEDIATE; {MIGRATIONS[number]}; PRAGMA user_version={number + 1}; COMMIT;"
        )


def connect_writer(path: Path, disk: DiskPressure | None = None) -> sqlite3.Connection:
    """The writing connection (WAL, ``synchronous=FULL``), migrated and probed with a real write.

    Its ``busy_timeout`` is 0 when it is handed over: the writer decides where a wait may happen.
    A disk too full to start on raises StorageUnavailable (exit 75); with ``disk`` keeping a
    reserve, the reserve is given back first and the start goes on with payments refused.
    """
    disk = disk if disk is not None else DiskPressure(path, keep_reserve=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL").fetchone()
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        disk.bound_the_log(connection)
        version = _check_version(connection, path)
    except (OSError, sqlite3.Error) as error:
        if is_disk_full(error):
            raise _full_at_start(path, error) from None
        raise _unusable(path, error) from None
    try:
        migrate(connection, version)
        _probe_write(connection, disk)
        connection.execute("PRAGMA busy_timeout=0")
    except sqlite3.Error as error:
        connection.close()
        if is_disk_full(error):
            raise _full_at_start(path, error) from None
        raise _unusable(path, error, "write") from None
    return connection


def _probe_write(connection: sqlite3.Connection, disk: DiskPressure) -> None:
    """Check that a write really works, giving the reserve back once if the disk is full.

    Read-only file systems pass connect(), and a file system the kernel turned read-only after an
    error even passes an empty transaction: only a real write tells.
    """
    try:
        _rewrite_version_in_a_transaction(connection)
    except sqlite3.Error as error:
        if not (disk.keep_reserve and is_disk_full(error)):
            raise
        rollback_quietly(connection)
        disk.disk_full(str(error))
        disk.relieve(connection)
        _rewrite_version_in_a_transaction(connection)


def _rewrite_version_in_a_transaction(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    rewrite_version(connection)
    connection.execute("COMMIT")


def connect_reader(path: Path, busy_timeout: float = 0) -> sqlite3.Connection:
    """A second connection for reads (WAL lets it see the last commit while the next is written).

    By default it never waits for a lock (a WAL read almost never has to): it fails at once instead.
    """
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
    connection.execute("PRAGMA query_only=ON")
    connection.row_factory = sqlite3.Row
    return connection


def connect_read_only(path: Path, busy_timeout: float = 0) -> sqlite3.Connection:
    """Open the file read-only (``mode=ro``): no migration, no write, nothing created.

    Where no database exists yet, an empty one in memory answers instead (nothing pending,
    no state), so read commands work before the daemon's first run without creating files.
    """
    if not path.exists():
        connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        migrate(connection, 0)
    else:
        try:
            connection = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=busy_timeout,
            )
            version = _check_version(connection, path)
        except sqlite3.Error as error:
            raise _unusable(path, error, "read") from None
        if version < SCHEMA_VERSION:
            connection.close()
            raise UserError(
                f"the database at {path} has schema version {version}, older than this payalert's "
                f"({SCHEMA_VERSION}); run `payalert store migrate` (or start the daemon) first"
            )
    connection.execute("PRAGMA query_only=ON")
    connection.row_factory = sqlite3.Row
    return connection
