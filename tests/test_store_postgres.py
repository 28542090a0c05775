"""What only the PostgreSQL backend does: several nodes on one database, and outages of the server."""

import asyncio

import pytest

from payalert_core import UserError
from payalert_core.store import Lane, StorageUnavailable, is_storage_error
from payalert_core.store.postgres import PostgresStore
from payalert_core.store.postgres_schema import SCHEMA_VERSION

from .helpers import payment

LANE = Lane("tg", "chat")
LEASE = 1.0


def node(url, **options):
    return PostgresStore(url, lease=LEASE, takeover_check=0.2, **options)


@pytest.fixture
async def two_nodes(postgres_url):
    nodes = [node(postgres_url), node(postgres_url)]
    for each in nodes:
        await each.open()
    yield nodes
    for each in nodes:
        await each.close()


async def crash(store: PostgresStore) -> None:
    """Stop a node the way kill -9 would: no lease handed back, connections just gone."""
    for task in store._tasks:
        task.cancel()
    await asyncio.gather(*store._tasks, return_exceptions=True)
    store._tasks = []
    await store.coordination._drop_connection()
    await store._pool.close()
    store._pool = None


async def wait_until(condition, timeout=10.0):
    for _ in range(int(timeout / 0.05)):
        if await condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_payment_posted_to_both_nodes_is_stored_once(two_nodes):
    first, second = two_nodes
    results = await asyncio.gather(
        *(n.ingest([payment(str(i))], [LANE], {}) for i in range(50) for n in (first, second))
    )
    assert sum(len(r.new_event_ids) for r in results) == 50
    assert sum(r.duplicates for r in results) == 50
    assert len(await first.pending(LANE, limit=1000)) == 50


async def test_one_node_at_a_time_sends_a_lane_and_a_graceful_stop_hands_it_over(two_nodes, postgres_url):
    first, second = two_nodes
    await first.ingest([payment("a")], [LANE], {})
    assert [d.payment.external_id for d in await first.claim(LANE)] == ["a"]
    assert await second.claim(LANE) is None and not second.holds(LANE)
    await asyncio.sleep(LEASE * 1.5)  # the holder renews its lease meanwhile
    assert first.holds(LANE) and await second.claim(LANE) is None
    await first.close()
    assert [d.payment.external_id for d in await second.claim(LANE)] == ["a"]


async def test_a_dead_node_s_lane_is_taken_over_once_its_lease_lapses(two_nodes):
    first, second = two_nodes
    await first.ingest([payment("a")], [LANE], {})
    assert await first.claim(LANE)
    await crash(first)
    assert await second.claim(LANE) is None  # the lease still runs
    assert await wait_until(lambda: _claims(second), timeout=LEASE * 5)


async def _claims(store):
    return await store.claim(LANE) is not None


async def test_an_exclusive_job_runs_on_one_node_and_moves_when_it_dies(two_nodes):
    first, second = two_nodes
    assert await first.coordination.acquire("source:bank")
    assert not await second.coordination.acquire("source:bank")
    assert first.coordination.held() == ["source:bank"]
    runs = []

    async def work():
        runs.append("second")
        await asyncio.Event().wait()

    standby = asyncio.create_task(second.coordination.run_exclusively("source:bank", work))
    await asyncio.sleep(0.5)
    assert runs == []
    await crash(first)  # its session ends: PostgreSQL releases the lock
    assert await wait_until(lambda: _true(runs), timeout=5)
    assert second.coordination.holds("source:bank")
    standby.cancel()
    await asyncio.gather(standby, return_exceptions=True)


async def _true(value):
    return bool(value)


async def test_deliveries_queued_on_one_node_wake_the_other(two_nodes):
    first, second = two_nodes
    woken = asyncio.Event()
    second.on_outbox_change(woken.set)
    await asyncio.sleep(0.3)  # LISTEN is set up
    woken.clear()
    await first.ingest([payment("a")], [LANE], {})
    await asyncio.wait_for(woken.wait(), 5)


async def test_an_outage_fails_calls_clearly_and_everything_resumes_without_reopening(postgres_server):
    store = node(postgres_server.create_database())
    await store.open()
    try:
        await store.ingest([payment("a")], [LANE], {})
        postgres_server.stop()
        try:
            with pytest.raises(StorageUnavailable) as refused:
                await store.ingest([payment("b")], [LANE], {})
            assert is_storage_error(refused.value)
            health = store.write_health()
            assert health["writable"] is False and "unreachable" in health["problem"]
            assert postgres_server.password not in health["problem"]
            (pending,) = await _pending_or_none(store)  # nothing: reads fail too
            assert pending is None
        finally:
            postgres_server.start()
        stored = await store.ingest([payment("b")], [LANE], {})
        assert len(stored.new_event_ids) == 1
        assert store.write_health()["writable"] is True
        assert [d.payment.external_id for d in await store.pending(LANE)] == ["a", "b"]
    finally:
        await store.close()


async def _pending_or_none(store):
    try:
        return [await store.pending(LANE)]
    except StorageUnavailable:
        return [None]


async def test_an_unreachable_server_at_start_is_one_line_without_the_password(postgres_server):
    url = postgres_server.url("nowhere").replace(str(postgres_server.port), "1")
    with pytest.raises(UserError) as refused:
        await node(url).open()
    assert "store.url: cannot use PostgreSQL" in str(refused.value)
    assert postgres_server.password not in str(refused.value) and "***" in str(refused.value)
    # Nobody answered: the server may come up later, so the daemon exits 75 and is started again.
    assert isinstance(refused.value, StorageUnavailable) and refused.value.exit_code == 75


async def test_a_refused_login_at_start_names_the_reason_and_is_tried_again(postgres_server):
    # A refused login looks the same as one refused by a server still starting: exit 75, retried.
    url = postgres_server.url().replace(postgres_server.password, "wrong-password")
    with pytest.raises(StorageUnavailable) as refused:
        await node(url).open()
    assert "store.url: cannot use PostgreSQL" in str(refused.value)
    assert "password authentication failed" in str(refused.value)
    assert "wrong-password" not in str(refused.value) and refused.value.exit_code == 75


async def test_a_newer_schema_is_refused(postgres_server):
    url = postgres_server.create_database()
    store = node(url)
    await store.open()
    await store.close()
    name = url.rsplit("/", 1)[1]
    postgres_server.psql(f"INSERT INTO payalert_schema VALUES ({SCHEMA_VERSION + 1})", name)
    with pytest.raises(UserError, match="newer than this payalert"):
        await node(url).open()


async def test_a_read_only_node_reads_and_cannot_write(two_nodes, postgres_url):
    first, _ = two_nodes
    await first.ingest([payment("a")], [LANE], {("source:shop", "cursor"): 4})
    reader = node(postgres_url, read_only=True)
    await reader.open()
    try:
        assert await reader.load_state("source:shop", "cursor") == 4
        assert len(await reader.pending(LANE)) == 1
        with pytest.raises(Exception, match="read-only"):
            await reader.save_state("x", "y", 1)
    finally:
        await reader.close()
