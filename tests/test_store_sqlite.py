"""What only the SQLite backend does: read-only opening, and never waiting on the event loop."""

import asyncio
import hashlib
import sqlite3
import time

import pytest
from payalert_testing.stall import LoopLag, hold_write_lock

from payalert_core import UserError
from payalert_core.store import Lane, SQLiteStore, sqlite_upkeep
from payalert_core.store.sqlite_schema import SCHEMA_VERSION

from .helpers import payment, unwritable_payment

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


async def test_one_bad_payment_leaves_the_honest_ones_sharing_commits(sqlite_store):
    honest = [sqlite_store.ingest([payment(f"ok{i}")], [LANE], {}) for i in range(20)]
    bad = sqlite_store.ingest([unwritable_payment("bad")], [LANE], {})
    results = await asyncio.gather(*honest[:10], bad, *honest[10:], return_exceptions=True)
    assert isinstance(results[10], ValueError)
    assert sqlite_store.commits < 20  # the honest ones still share commits


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


def _counted_by_scan(path):
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT notifier, status, COUNT(*) FROM deliveries WHERE status != 'sent' GROUP BY 1, 2"
        ).fetchall()
    finally:
        connection.close()
    counts = {}
    for notifier, status, count in rows:
        counts.setdefault(notifier, {"pending": 0, "failed": 0})[status] = count
    return counts


async def test_delivery_counts_follow_every_write_without_scanning(sqlite_store):
    store = sqlite_store
    lanes = [Lane("tg", "a"), Lane("tg", "b"), Lane("mail", "x")]
    await store.ingest([payment("a"), payment("b")], lanes, {})
    await store.ingest([payment("b"), payment("c")], lanes, {})  # b is a duplicate: no delivery
    assert await store.delivery_counts() == {
        "tg": {"pending": 6, "failed": 0},
        "mail": {"pending": 3, "failed": 0},
    }
    first, second, third = await store.pending(Lane("mail", "x"))
    await store.mark_sent(first.id)
    await store.mark_failed(second.id, "refused")
    await store.mark_retry(third.id, "timeout", time.time() + 60)
    assert (await store.delivery_counts())["mail"] == {"pending": 1, "failed": 1}
    assert await store.retry_failed([second.id]) == 1
    for delivery in await store.pending(Lane("mail", "x")):
        await store.mark_sent(delivery.id)
    # A notifier with nothing left waiting still shows, at 0: its gauges must fall back to 0.
    assert (await store.delivery_counts())["mail"] == {"pending": 0, "failed": 0}
    assert await store.delivery_counts() == _counted_by_scan(store.path) | {
        "mail": {"pending": 0, "failed": 0}
    }


async def test_delivery_counts_are_read_from_the_database_at_open(tmp_path):
    path = tmp_path / "payalert.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    await store.ingest([payment("a"), payment("b")], [Lane("tg", "a")], {})
    await store.mark_failed((await store.pending(Lane("tg", "a")))[0].id, "refused")
    await store.close()
    store = SQLiteStore(path)
    await store.open()
    try:
        assert await store.delivery_counts() == {"tg": {"pending": 1, "failed": 1}}
    finally:
        await store.close()


async def test_delivery_counts_notice_another_process_retrying_failed_deliveries(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_upkeep, "EXTERNAL_CHANGE_CHECK_SECONDS", 0.02)
    path = tmp_path / "payalert.sqlite3"
    daemon_store, cli_store = SQLiteStore(path), SQLiteStore(path)
    await daemon_store.open()
    try:
        await daemon_store.ingest([payment("a"), payment("b")], [Lane("tg", "a")], {})
        for delivery in await daemon_store.pending(Lane("tg", "a")):
            await daemon_store.mark_failed(delivery.id, "refused")
        assert await daemon_store.delivery_counts() == {"tg": {"pending": 0, "failed": 2}}
        await cli_store.open()  # as `payalert retry-failed` does beside a running daemon
        assert await cli_store.retry_failed() == 2
        await cli_store.close()
        for _ in range(500):  # bounded: a check runs every 20 ms
            if (await daemon_store.delivery_counts())["tg"]["pending"] == 2:
                break
            await asyncio.sleep(0.01)
        assert await daemon_store.delivery_counts() == {"tg": {"pending": 2, "failed": 0}}
        for delivery in await daemon_store.pending(Lane("tg", "a")):
            await daemon_store.mark_sent(delivery.id)
        assert await daemon_store.delivery_counts() == {"tg": {"pending": 0, "failed": 0}}
    finally:
        await daemon_store.close()


async def test_counts_stay_exact_while_many_writers_race_an_external_change(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_upkeep, "EXTERNAL_CHANGE_CHECK_SECONDS", 0.001)
    path = tmp_path / "payalert.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    try:
        lane = Lane("tg", "a")
        await store.ingest([payment(str(n)) for n in range(50)], [lane], {})
        outsider = sqlite3.connect(path, isolation_level=None)
        outsider.execute("UPDATE deliveries SET status = 'failed' WHERE id % 5 = 0")  # 10 of them
        outsider.close()
        delivered = [d.id for d in await store.pending(lane)]
        await asyncio.gather(
            *(store.mark_sent(delivery_id) for delivery_id in delivered),
            *(store.ingest([payment(f"new-{n}")], [lane], {}) for n in range(50)),
        )
        await asyncio.sleep(0.05)  # a few more external checks: nothing changed outside since
        assert (
            await store.delivery_counts() == _counted_by_scan(path) == {"tg": {"pending": 50, "failed": 10}}
        )
    finally:
        await store.close()
