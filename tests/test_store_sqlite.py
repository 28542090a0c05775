"""What only the SQLite backend does: read-only opening, and never waiting on the event loop."""

import asyncio
import hashlib
import sqlite3

import pytest

from payalert_core import UserError
from payalert_core.store import Lane, SQLiteStore
from payalert_core.store.sqlite_schema import SCHEMA_VERSION
from payalert_core.testing.stall import LoopLag, hold_write_lock

from .helpers import payment

LANE = Lane("tg", "chat")
#: How long another process holds the write lock in the stall test.
HOLD_SECONDS = 2.0


def fingerprint(folder):
    """Each file in ``folder`` with its size, modification time and content hash."""
    return {
        path.name: (
            path.stat().st_size,
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(folder.iterdir())
    }


async def test_a_read_only_store_reads_everything_and_changes_nothing(tmp_path):
    path = tmp_path / "payalert.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    await store.ingest([payment("a"), payment("b")], [LANE], {("source:shop", "cursor"): 9})
    first, _ = await store.pending(LANE)
    await store.mark_failed(first.id, "chat not found")
    await store.close()
    before = fingerprint(tmp_path)

    reader = SQLiteStore(path, read_only=True)
    await reader.open()
    try:
        assert await reader.load_state("source:shop", "cursor") == 9
        assert [d.payment.external_id for d in await reader.deliveries(["failed"])] == ["a"]
        assert [d.payment.external_id for d in await reader.pending(LANE)] == ["b"]
        assert await reader.delivery_counts() == {"tg": {"pending": 1, "failed": 1}}
        with pytest.raises(RuntimeError, match="read-only"):
            await reader.save_state("x", "y", 1)
    finally:
        await reader.close()
    after = fingerprint(tmp_path)
    # The database is untouched; SQLite may leave the empty write-ahead log and shared-memory index
    # any reader of a WAL database sets up (a running daemon has them anyway).
    assert after["payalert.sqlite3"] == before["payalert.sqlite3"]
    assert set(after) <= {"payalert.sqlite3", "payalert.sqlite3-wal", "payalert.sqlite3-shm"}
    assert after.get("payalert.sqlite3-wal", (0,))[0] == 0


async def test_a_read_only_store_without_a_database_is_empty_and_creates_nothing(tmp_path):
    reader = SQLiteStore(tmp_path / "data" / "payalert.sqlite3", read_only=True)
    await reader.open()
    try:
        assert await reader.deliveries(["pending", "failed"]) == []
        assert await reader.load_state("source:shop", "cursor") is None
    finally:
        await reader.close()
    assert list(tmp_path.iterdir()) == []


async def test_a_read_only_store_reads_while_another_process_holds_the_write_lock(tmp_path):
    path = tmp_path / "payalert.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    await store.save_state("source:shop", "cursor", 1)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    reader = SQLiteStore(path, read_only=True)
    try:
        await reader.open()
        assert await reader.load_state("source:shop", "cursor") == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await reader.close()
        await store.close()


async def test_a_read_only_store_refuses_a_database_not_yet_migrated(tmp_path):
    path = tmp_path / "payalert.sqlite3"
    sqlite3.connect(path).close()
    with pytest.raises(UserError, match="payalert store migrate"):
        await SQLiteStore(path, read_only=True).open()


async def test_the_event_loop_runs_on_while_another_process_holds_the_write_lock(tmp_path):
    path = tmp_path / "payalert.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    try:
        holder = hold_write_lock(path, HOLD_SECONDS)
        try:
            async with LoopLag() as lag:
                stored = await store.ingest([payment("a")], [LANE], {("source:shop", "cursor"): 1})
                still_held = holder.poll() is None
        finally:
            holder.wait(30)
        assert stored.new_event_ids and await store.load_state("source:shop", "cursor") == 1
        assert not still_held  # the ingest waited for the lock, as it must
        # The loop was not blocked for the lock's duration (the margin is wide on purpose).
        assert lag.worst < 0.5, f"the event loop stalled for {lag.worst:.2f}s"
    finally:
        await store.close()


async def test_a_failing_write_rolls_back_its_own_changes_only(sqlite_store):
    def broken(connection):
        connection.execute("INSERT INTO state (owner, key, value, updated_at) VALUES ('x', 'y', '1', 'now')")
        raise RuntimeError("boom")

    results = await asyncio.gather(
        sqlite_store.ingest([payment("a")], [LANE], {("source:shop", "cursor"): 1}),
        sqlite_store.write(broken),
        return_exceptions=True,
    )
    assert isinstance(results[1], RuntimeError)
    assert await sqlite_store.load_state("source:shop", "cursor") == 1
    assert await sqlite_store.load_state("x", "y") is None


async def test_concurrent_ingests_share_commits(sqlite_store):
    await asyncio.gather(*(sqlite_store.ingest([payment(str(i))], [LANE], {}) for i in range(200)))
    assert len(await sqlite_store.recent_payments(1000)) == 200
    assert sqlite_store.commits < 200  # group commit: fewer transactions than ingests


async def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "payalert.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(UserError, match="newer than this payalert"):
        await SQLiteStore(path).open()


async def test_unwritable_location_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="data_dir"):
        await SQLiteStore(blocker / "payalert.sqlite3").open()


async def test_wal_mode_and_full_sync(sqlite_store):
    def pragmas(connection):
        return (
            connection.execute("PRAGMA journal_mode").fetchone()[0],
            connection.execute("PRAGMA synchronous").fetchone()[0],
        )

    assert await sqlite_store.read(pragmas) == ("wal", 2)
