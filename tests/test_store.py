import asyncio
import sqlite3

import pytest

from payalert_core import UserError
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
