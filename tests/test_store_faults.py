"""The store when the disk refuses writes: whole groups fail cleanly, /health says why, it recovers.

A full disk is played by ``PRAGMA max_page_count`` (SQLite answers SQLITE_FULL), a read-only one by
``PRAGMA query_only`` on the writing connection (SQLITE_READONLY). The real file systems are in
``tests/e2e/test_disk_full.py``.
"""

import asyncio
import json
import logging
import sqlite3
from decimal import Decimal

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from payalert_core import IngestResult, sign_sha256
from payalert_core.health import HealthRecord, health_document
from payalert_core.server import build_app
from payalert_core.sources.webhook import SIGNATURE_HEADER, WebhookConfig, WebhookSource
from payalert_core.store import Lane, SQLiteStore, is_storage_error, sqlite_upkeep
from payalert_core.store import base as store_base
from payalert_core.store import writer as store_writer

from .helpers import payment

LANE = Lane("tg", "chat")
BIG = "x" * 20_000  # needs overflow pages: cannot fit in a full database


def writer(store: SQLiteStore) -> sqlite3.Connection:
    assert store._writer is not None
    return store._writer.connection


def fill_up(store: SQLiteStore) -> None:
    """No new page may be added to the database: big writes fail with SQLITE_FULL."""
    connection = writer(store)
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count={pages}")


@pytest.fixture
def store(sqlite_store):
    """These faults are SQLite's (its disk); PostgreSQL's outages are in test_store_postgres.py."""
    return sqlite_store


def big_payment(external_id: str):
    return payment(external_id).replace(raw={"text": BIG})


async def test_a_full_database_fails_the_write_says_why_and_takes_it_once_space_returns(store):
    fill_up(store)
    with pytest.raises(sqlite3.OperationalError) as refused:
        await store.ingest([big_payment("a")], [LANE], {("source:shop", "cursor"): 1})
    assert is_storage_error(refused.value)
    health = store.write_health()
    assert health["writable"] is False and "full" in health["problem"] and health["since"]
    assert await store.recent_payments(10) == []
    assert await store.load_state("source:shop", "cursor") is None  # the cursor went with the events
    assert not writer(store).in_transaction

    writer(store).execute("PRAGMA max_page_count=1073741823")
    result = await store.ingest([big_payment("a")], [LANE], {("source:shop", "cursor"): 1})
    assert len(result.new_event_ids) == 1
    assert store.write_health() == {"writable": True, "problem": None, "since": None}
    assert [p.external_id for p in await store.recent_payments(10)] == ["a"]
    assert await store.load_state("source:shop", "cursor") == 1


async def test_a_delivery_outcome_waits_while_read_only_and_is_recorded_after(store, monkeypatch):
    monkeypatch.setattr(store_base, "RECORD_RETRY_MAX", 0.05)
    await store.ingest([payment("a")], [LANE], {})
    (delivery,) = await store.pending(LANE)
    writer(store).execute("PRAGMA query_only=ON")
    marking = asyncio.create_task(store.mark_sent(delivery.id))
    for _ in range(200):  # bounded: until the store has seen the refusal
        if not store.write_health()["writable"]:
            break
        await asyncio.sleep(0.01)
    assert "readonly" in store.write_health()["problem"]
    with pytest.raises(sqlite3.OperationalError):
        await store.ingest([payment("b")], [LANE], {})
    assert not marking.done()  # still waiting for the disk, not failed

    writer(store).execute("PRAGMA query_only=OFF")
    await asyncio.wait_for(marking, timeout=10)
    assert await store.pending(LANE) == []
    assert (await store.deliveries(["sent"]))[0].attempts == 1
    assert store.write_health()["writable"] is True


async def test_health_notices_recovery_without_any_new_write(store, monkeypatch):
    monkeypatch.setattr(store_writer, "RECOVERY_PROBE_SECONDS", 0.02)
    writer(store).execute("PRAGMA query_only=ON")
    with pytest.raises(sqlite3.OperationalError):
        await store.ingest([payment("a")], [LANE], {})
    await asyncio.sleep(0.1)  # probes keep failing meanwhile
    assert store.write_health()["writable"] is False
    writer(store).execute("PRAGMA query_only=OFF")
    for _ in range(500):  # bounded: a probe runs every 20 ms
        if store.write_health()["writable"]:
            break
        await asyncio.sleep(0.01)
    assert store.write_health()["writable"] is True


async def test_when_sqlite_drops_the_whole_transaction_every_write_of_the_group_fails_with_its_error(store):
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL

    def dropped(connection):
        connection.execute("ROLLBACK")  # what SQLite may do itself on SQLITE_FULL or SQLITE_IOERR
        raise full

    results = await asyncio.gather(
        store.ingest([payment("a")], [LANE], {}), store.write(dropped), return_exceptions=True
    )
    assert results == [full, full]  # nothing half-committed, and the real reason, not "no such savepoint"
    assert await store.recent_payments(10) == []
    assert "full" in store.write_health()["problem"]
    await store.ingest([payment("a")], [LANE], {})
    assert [p.external_id for p in await store.recent_payments(10)] == ["a"]


async def test_a_transaction_left_open_by_a_failed_rollback_does_not_wedge_the_store(store):
    writer(store).execute("BEGIN")  # as if the disk had refused the ROLLBACK after a failed COMMIT
    await store.ingest([payment("a")], [LANE], {})
    assert [p.external_id for p in await store.recent_payments(10)] == ["a"]


async def test_a_bug_in_a_statement_is_raised_at_once_not_waited_out(store):
    await store.ingest([payment("a")], [LANE], {})
    (delivery,) = await store.pending(LANE)
    await store.write(lambda connection: connection.execute("ALTER TABLE deliveries RENAME TO moved"))
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await asyncio.wait_for(store.mark_sent(delivery.id), timeout=5)
    assert store.write_health()["writable"] is True


class _Runtime:
    """The little of a source runtime the webhook source needs, writing to a real store."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.health = HealthRecord("push")

    async def ingest(self, payments, cursors=None):
        stored = await self.store.ingest(payments, [LANE], {})
        return IngestResult(stored=len(stored.new_event_ids), duplicates=stored.duplicates)

    def count(self, event: str) -> None:
        pass


async def _status():
    return 200, {"status": "ok", "sources": {}, "notifiers": {}, "deliveries": {}}


async def _metrics():
    return b""


async def test_webhooks_get_503_with_one_log_line_and_health_says_why(store, caplog):
    source = WebhookSource("shop", WebhookConfig(type="webhook", secret="s" * 16), _Runtime(store))

    async def status():
        return health_document({}, {}, {}, store.write_health())

    token = "t" * 16
    app = build_app(status, _metrics, [source], 1024 * 1024, token=token)
    body = json.dumps({"id": "w1", "amount": "5", "currency": "EUR"}).encode()
    headers = {SIGNATURE_HEADER: sign_sha256("s" * 16, body)}
    async with TestClient(TestServer(app)) as client:
        writer(store).execute("PRAGMA query_only=ON")
        with caplog.at_level(logging.WARNING, logger="payalert"):
            refused = await client.post("/hooks/shop/", data=body, headers=headers)
        assert refused.status == 503
        records = [r for r in caplog.records if r.name == "payalert.server"]
        assert len(records) == 1 and records[0].exc_info is None and "readonly" in records[0].getMessage()
        health = await client.get("/health", headers={"Authorization": f"Bearer {token}"})
        document = await health.json()
        assert health.status == 503 and document["status"] == "degraded"
        assert document["store"]["writable"] is False and "readonly" in document["store"]["problem"]

        writer(store).execute("PRAGMA query_only=OFF")
        accepted = await client.post("/hooks/shop/", data=body, headers=headers)
        assert accepted.status == 202
        health = await client.get("/health", headers={"Authorization": f"Bearer {token}"})
        assert health.status == 200 and (await health.json())["store"]["writable"] is True
    assert [p.amount for p in await store.recent_payments(10)] == [Decimal("5")]


async def test_other_handler_errors_still_get_a_traceback(caplog):
    async def broken(_: web.Request) -> web.Response:
        raise KeyError("bug")

    class Broken(WebhookSource):
        def add_routes(self, app: web.Application) -> None:
            app.router.add_post("/", broken)

    app = build_app(
        _status, _metrics, [Broken("shop", WebhookConfig(type="webhook", secret="s" * 16), None)], 1024
    )
    async with TestClient(TestServer(app)) as client:
        with caplog.at_level(logging.ERROR, logger="payalert"):
            answer = await client.post("/hooks/shop/", data=b"{}")
        assert answer.status == 503
    assert any(r.exc_info for r in caplog.records if r.name == "payalert.server")


async def test_the_write_ahead_log_is_checkpointed_as_it_grows(tmp_path):
    store = SQLiteStore(tmp_path / "payalert.sqlite3")
    await store.open()
    try:
        for batch in range(70):  # about 1.4 MB of payments, 20 KB each, in 70 commits
            await store.ingest([big_payment(f"{batch}")], [LANE], {})
        wal = tmp_path / "payalert.sqlite3-wal"
        # Checkpointed each time it held the reserve's size, and cut back to that size when it restarts.
        assert wal.stat().st_size < 1.25 * store.disk.reserve.size
        assert (tmp_path / "payalert.sqlite3").stat().st_size > 1_000_000  # the data is in the database
    finally:
        await store.close()


async def test_when_the_disk_fills_the_reserve_goes_payments_wait_and_deliveries_are_recorded(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(sqlite_upkeep, "EXTERNAL_CHANGE_CHECK_SECONDS", 0.02)
    store = SQLiteStore(tmp_path / "payalert.sqlite3", keep_reserve=True)
    await store.open()
    space = {"returned": False}  # this test's file system has room; the e2e tests fill a real one
    monkeypatch.setattr(store.disk.reserve, "room_to_resume", lambda: space["returned"])
    try:
        assert store.disk.reserve.path.stat().st_size == store.disk.reserve.size
        await store.ingest([payment("a"), payment("b")], [LANE], {})
        fill_up(store)
        with pytest.raises(sqlite3.OperationalError) as refused:
            await store.ingest([big_payment("c")], [LANE], {})
        assert is_storage_error(refused.value)
        for _ in range(200):  # bounded: the writer loop releases the reserve after the failed group
            if not store.disk.reserve.path.exists():
                break
            await asyncio.sleep(0.01)
        assert not store.disk.reserve.path.exists()
        writer(store).execute("PRAGMA max_page_count=1073741823")  # as if SQLite could grow again
        health = store.write_health()
        assert health["writable"] is False and "full" in health["problem"]
        # Payments are refused at once while the reserve is gone...
        with pytest.raises(sqlite3.OperationalError, match="full"):
            await store.ingest([payment("d")], [LANE], {})
        # ...but delivery outcomes go in.
        first, second = await store.pending(LANE)
        await asyncio.wait_for(store.mark_sent(first.id), timeout=5)
        assert [d.id for d in await store.pending(LANE)] == [second.id]
        await asyncio.sleep(0.1)  # several checks: no room yet, so payments stay refused
        assert store.write_health()["writable"] is False
        space["returned"] = True  # room for the reserve twice over: it comes back, and payments with it
        for _ in range(500):
            if store.write_health()["writable"]:
                break
            await asyncio.sleep(0.01)
        assert store.write_health()["writable"] is True and store.disk.reserve.path.exists()
        assert len((await store.ingest([payment("d")], [LANE], {})).new_event_ids) == 1
    finally:
        await store.close()


async def test_commands_beside_the_daemon_leave_the_reserve_alone(tmp_path):
    store = SQLiteStore(tmp_path / "payalert.sqlite3")
    await store.open()
    await store.close()
    assert not (tmp_path / "payalert.reserve").exists()
