import asyncio
import sqlite3
import time

import pytest

from payalert_core import UserError
from payalert_core import store as store_module
from payalert_core.store import SCHEMA_VERSION, Lane, Store

from .helpers import payment

LANES = [Lane("tg", "chat1"), Lane("tg", "chat2")]


async def test_ingest_dedupes_and_creates_one_delivery_per_lane(store):
    first = await store.ingest([payment("a"), payment("b")], LANES, {})
    again = await store.ingest([payment("b"), payment("c")], LANES, {})
    assert len(first.new_event_ids) == 2 and first.duplicates == 0
    assert len(again.new_event_ids) == 1 and again.duplicates == 1
    assert [d.payment.external_id for d in await store.pending(Lane("tg", "chat2"))] == ["a", "b", "c"]
    assert (await store.delivery_counts())["tg"]["pending"] == 6


async def test_same_external_id_in_two_sources_is_two_events(store):
    result = await store.ingest([payment("x", source="one"), payment("x", source="two")], LANES, {})
    assert len(result.new_event_ids) == 2


async def test_cursor_is_saved_with_the_events(store):
    await store.ingest([payment("a")], LANES, {("source:shop", "cursor"): {"uid": 7}})
    assert await store.load_state("source:shop", "cursor") == {"uid": 7}
    assert await store.load_state("source:shop", "other") is None


async def test_a_failing_write_rolls_back_its_events_and_cursor_only(store):
    def broken(connection):
        connection.execute("INSERT INTO state (owner, key, value, updated_at) VALUES ('x', 'y', '1', 'now')")
        raise RuntimeError("boom")

    results = await asyncio.gather(
        store.ingest([payment("a")], LANES, {("source:shop", "cursor"): 1}),
        store.write(broken),
        return_exceptions=True,
    )
    assert isinstance(results[1], RuntimeError)
    assert await store.load_state("source:shop", "cursor") == 1
    assert await store.load_state("x", "y") is None


async def test_concurrent_ingests_share_commits(store):
    await asyncio.gather(*(store.ingest([payment(str(i))], LANES, {}) for i in range(200)))
    assert len(await store.recent_payments(1000)) == 200
    assert store.commits < 200  # group commit: fewer transactions than ingests


class _Unwritable:
    """A value in a payment's raw payload that cannot be turned into text."""

    def __str__(self) -> str:
        raise ValueError("cannot be written")


async def test_one_bad_payment_fails_only_its_own_ingest_not_those_committed_with_it(store):
    honest = [store.ingest([payment(f"ok{i}")], LANES, {("source:shop", f"c{i}"): i}) for i in range(20)]
    bad = store.ingest([payment("bad").replace(raw={"x": _Unwritable()})], LANES, {})
    results = await asyncio.gather(*honest[:10], bad, *honest[10:], return_exceptions=True)
    assert isinstance(results[10], ValueError)
    assert [len(r.new_event_ids) for r in results if not isinstance(r, BaseException)] == [1] * 20
    assert store.commits < 20  # the honest ones still share commits
    stored = {p.external_id for p in await store.recent_payments(100)}
    assert stored == {f"ok{i}" for i in range(20)}
    assert [await store.load_state("source:shop", f"c{i}") for i in range(20)] == list(range(20))
    assert (await store.delivery_counts())["tg"]["pending"] == 40


async def test_delivery_status_changes_and_retry_failed(store):
    await store.ingest([payment("a"), payment("b")], [Lane("n", "t")], {})
    first, second = await store.pending(Lane("n", "t"))
    await store.mark_sent(first.id)
    await store.mark_failed(second.id, "chat not found")
    assert await store.pending(Lane("n", "t")) == []
    (failed,) = await store.deliveries(["failed"])
    assert failed.last_error == "chat not found" and failed.attempts == 1
    assert await store.retry_failed() == 1
    assert [d.id for d in await store.pending(Lane("n", "t"))] == [second.id]


async def test_mark_retry_keeps_it_pending_with_a_later_time(store):
    await store.ingest([payment("a")], [Lane("n", "t")], {})
    (delivery,) = await store.pending(Lane("n", "t"))
    await store.mark_retry(delivery.id, "timeout", delivery.next_attempt_at + 60)
    (again,) = await store.pending(Lane("n", "t"))
    assert again.attempts == 1 and again.next_attempt_at == delivery.next_attempt_at + 60
    assert again.first_attempt_at is not None


async def test_reopening_keeps_everything(tmp_path):
    path = tmp_path / "payalert.sqlite3"
    store = Store(path)
    await store.open()
    await store.ingest([payment("a")], LANES, {("source:shop", "cursor"): 3})
    await store.close()
    store = Store(path)
    await store.open()
    assert await store.load_state("source:shop", "cursor") == 3
    assert len(await store.pending(LANES[0])) == 1
    await store.close()


async def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "payalert.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(UserError, match="newer than this payalert"):
        await Store(path).open()


async def test_unwritable_location_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="data_dir"):
        await Store(blocker / "payalert.sqlite3").open()


async def test_wal_mode_and_full_sync(store):
    def pragmas(connection):
        return (
            connection.execute("PRAGMA journal_mode").fetchone()[0],
            connection.execute("PRAGMA synchronous").fetchone()[0],
        )

    assert await store.read(pragmas) == ("wal", 2)


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


async def test_delivery_counts_follow_every_write_without_scanning(store):
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
    store = Store(path)
    await store.open()
    await store.ingest([payment("a"), payment("b")], [Lane("tg", "a")], {})
    await store.mark_failed((await store.pending(Lane("tg", "a")))[0].id, "refused")
    await store.close()
    store = Store(path)
    await store.open()
    try:
        assert await store.delivery_counts() == {"tg": {"pending": 1, "failed": 1}}
    finally:
        await store.close()


async def test_delivery_counts_notice_another_process_retrying_failed_deliveries(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "EXTERNAL_CHANGE_CHECK_SECONDS", 0.02)
    path = tmp_path / "payalert.sqlite3"
    daemon_store, cli_store = Store(path), Store(path)
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
    monkeypatch.setattr(store_module, "EXTERNAL_CHANGE_CHECK_SECONDS", 0.001)
    path = tmp_path / "payalert.sqlite3"
    store = Store(path)
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
