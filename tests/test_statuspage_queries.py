"""What the status page reads from the store: totals, delivery counts, cursors; each through an index."""

import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from payalert_core import Direction, Payment
from payalert_core.statuspage import queries
from payalert_core.store import Lane, SQLiteStore, postgres_reads, sqlite_reads
from payalert_core.store.postgres import PostgresStore
from payalert_core.store.sqlite_schema import MIGRATIONS

from .helpers import postgres_plan

LANES = [Lane("tg", "chat1")]
KOLKATA = ZoneInfo("Asia/Kolkata")
TODAY = date(2026, 12, 3)


def money(external_id, amount, currency="INR", direction=Direction.IN, at=None, source="shop"):
    return Payment(
        source=source,
        kind="test.payment",
        external_id=external_id,
        amount=None if amount is None else Decimal(amount),
        currency=None if amount is None else currency,
        direction=direction,
        occurred_at=at or datetime(2026, 12, 3, 6, 0, tzinfo=UTC),
        title=f"Payment {external_id}",
    )


async def test_totals_per_day_count_money_in_and_out_exactly_and_never_notices(store):
    await store.ingest(
        [
            money("a", "0.10"),
            money("b", "0.20"),
            money("c", "1.005", currency="USDT"),
            money("d", "40.00", direction=Direction.OUT),
            money("notice", None, direction=Direction.NONE),
            money("cancelled", "99.00", direction=Direction.NONE),  # a notice about money, not a transfer
            money("yesterday", "5", at=datetime(2026, 12, 2, 12, tzinfo=UTC)),
        ],
        LANES,
        {},
    )
    totals = {t.currency: t for t in await queries.MoneyTally().per_day(store, TODAY, UTC)}
    assert set(totals) == {"INR", "USDT"}
    inr = totals["INR"]
    assert inr.received_today == Decimal("0.30")  # exact: 0.1 + 0.2 as decimals
    assert inr.sent_today == Decimal("40.00")
    assert inr.received == Decimal("5.30")
    assert inr.received_per_day[-2] == Decimal(5)
    assert len(inr.received_per_day) == queries.DAYS
    assert totals["USDT"].received == Decimal("1.005")


async def test_days_are_the_page_time_zones_and_older_money_is_left_out(store):
    # 20:00 UTC on the 2nd is 01:30 on the 3rd in Kolkata: today there, yesterday in UTC.
    late = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
    first_day = datetime.combine(TODAY - timedelta(days=queries.DAYS - 1), datetime.min.time(), KOLKATA)
    await store.ingest(
        [
            money("late", "7", at=late),
            money("first-day", "3", at=first_day),
            money("too-old", "1000", at=first_day - timedelta(seconds=1)),
            money(
                "ahead", "2", at=datetime(2026, 12, 3, 20, tzinfo=UTC)
            ),  # tomorrow in Kolkata: counts today
        ],
        LANES,
        {},
    )
    (kolkata,) = await queries.MoneyTally().per_day(store, TODAY, KOLKATA)
    assert kolkata.received_today == Decimal(9)
    assert kolkata.received_per_day[0] == Decimal(3)
    assert kolkata.received == Decimal(12)
    (utc,) = await queries.MoneyTally().per_day(store, TODAY, UTC)
    assert utc.received_per_day[-2] == Decimal(7)


async def test_a_payment_counts_once_however_often_it_arrives(store):
    await store.ingest([money("a", "10")], LANES, {})
    await store.ingest([money("a", "10"), money("a", "10")], LANES, {})
    (totals,) = await queries.MoneyTally().per_day(store, TODAY, UTC)
    assert totals.received_today == Decimal(10)


async def test_a_kept_tally_adds_only_what_was_stored_since_and_matches_a_fresh_count(store):
    tally = queries.MoneyTally()
    await store.ingest([money("a", "1.10"), money("b", "2", direction=Direction.OUT)], LANES, {})
    (first,) = await tally.per_day(store, TODAY, UTC)
    assert first.received == Decimal("1.10")
    earlier = datetime(2026, 11, 20, 9, tzinfo=UTC)
    await store.ingest(
        [money("a", "1.10"), money("c", "0.05", at=earlier), money("n", None, direction=Direction.NONE)],
        LANES,
        {},
    )
    await store.ingest([money("d", "3", currency="USD")], LANES, {})
    kept = {t.currency: t for t in await tally.per_day(store, TODAY, UTC)}
    fresh = {t.currency: t for t in await queries.MoneyTally().per_day(store, TODAY, UTC)}
    assert kept == fresh
    assert kept["INR"].received == Decimal("1.15") and kept["INR"].sent == Decimal(2)
    assert kept["USD"].received_today == Decimal(3)
    usd, _ = await tally.per_day(store, TODAY + timedelta(days=1), UTC)  # a new day counts afresh
    assert usd.currency == "USD" and usd.received_today == 0 and usd.received_per_day[-2] == Decimal(3)


async def test_deliveries_are_counted_waiting_retrying_and_failed(store):
    stored = await store.ingest(
        [money(str(i), "1") for i in range(5)], [Lane("tg", "a"), Lane("mail", "b")], {}
    )
    deliveries = await store.deliveries(["pending"])
    tg = [d for d in deliveries if d.notifier == "tg"]
    await store.mark_retry(tg[0].id, "timeout", 0)
    await store.mark_failed(tg[1].id, "chat not found")
    await store.mark_failed(tg[2].id, "chat not found")
    await store.mark_sent(tg[3].id)
    counts = await queries.deliveries_by_notifier(store)
    assert counts["tg"] == queries.NotifierDeliveries(waiting=1, retrying=1, failed=2)
    assert counts["mail"] == queries.NotifierDeliveries(waiting=len(stored.new_event_ids))
    assert await store.retry_failed(notifier="mail") == 0
    assert await store.retry_failed(notifier="tg") == 2
    assert (await queries.deliveries_by_notifier(store))["tg"].failed == 0


async def test_cursor_times_name_each_source_that_saved_state(store):
    await store.ingest([], LANES, {("source:shop", "cursor"): 3, ("source:shop", "other"): 1})
    await store.save_state("source:bank", "cursor", 9)
    await store.save_state("notifier:tg", "state", 1)
    await store.save_state("source", "x", 1)  # not a source's: no "source:" prefix
    times = await queries.cursor_times(store)
    assert set(times) == {"shop", "bank"}
    assert all(moment.tzinfo is not None for moment in times.values())


async def test_recent_payments_are_the_newest_fifty(store):
    await store.ingest([money(str(i), "1") for i in range(60)], LANES, {})
    shown = await queries.recent_payments(store)
    assert [p.external_id for p in shown] == [str(i) for i in range(59, 9, -1)]


@pytest.mark.parametrize(
    ("query", "parameters", "index"),
    [
        (sqlite_reads.TRANSFERS_SINCE, (0, 10**9), "SEARCH events USING COVERING INDEX events_money_by_time"),
        (
            sqlite_reads.TRANSFERS_ADDED,
            (0, 100, 200),
            "SEARCH events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
        ),
        # A partial index: it holds only the deliveries not yet sent, so reading all of it is cheap.
        (sqlite_reads.UNSENT_DELIVERIES, (), "USING COVERING INDEX deliveries_unsent"),
        (
            sqlite_reads.STATE_WRITTEN,
            ("source:", "source;"),
            "SEARCH state USING INDEX sqlite_autoindex_state_1",
        ),
    ],
    ids=["totals", "totals-added", "deliveries", "cursors"],
)
async def test_the_pages_queries_use_indexes(sqlite_store, query, parameters, index):
    store = sqlite_store
    await store.ingest([money(str(i), "1") for i in range(200)], LANES, {("source:shop", "cursor"): 1})
    plan = await store.read(lambda c: c.execute("EXPLAIN QUERY PLAN " + query, parameters).fetchall())
    details = [row[3] for row in plan]
    assert any(index in detail for detail in details), details
    assert not any(detail.startswith("SCAN") and "INDEX" not in detail for detail in details), details


@pytest.mark.parametrize(
    ("query", "parameters", "index"),
    [
        (
            postgres_reads.TRANSFERS_SINCE,
            {"since": 0, "last": 10**9},
            "Index Only Scan using events_money_by_time",
        ),
        (postgres_reads.TRANSFERS_ADDED, {"since": 0, "after": 100, "last": 200}, "events_pkey"),
        (postgres_reads.TRANSFERS_UNSETTLED, {"since": 0, "last": 200}, "events_pkey"),
        (postgres_reads.SETTLED_ID, {"settle": 60}, "Index Scan Backward using events_pkey"),
        (postgres_reads.UNSENT_DELIVERIES, None, "Index Only Scan using deliveries_unsent"),
        (postgres_reads.STATE_WRITTEN, ("source:", "source;"), "state_pkey"),
    ],
    ids=["totals", "totals-added", "totals-unsettled", "settled", "deliveries", "cursors"],
)
async def test_the_pages_queries_use_indexes_on_postgresql(postgres_url, query, parameters, index):
    store = PostgresStore(postgres_url)
    await store.open()
    try:
        await store.ingest([money(str(i), "1") for i in range(200)], LANES, {("source:shop", "cursor"): 1})
    finally:
        await store.close()
    plan = postgres_plan(postgres_url, query, parameters)
    assert index in plan, plan


async def test_on_postgresql_the_newest_payments_count_at_once_and_are_kept_once_settled(
    postgres_url, monkeypatch
):
    store = PostgresStore(postgres_url)
    await store.open()
    try:
        tally = queries.MoneyTally()
        await store.ingest([money("a", "1.10")], LANES, {})
        (first,) = await tally.per_day(store, TODAY, UTC)  # not settled yet: counted, not kept
        assert first.received_today == Decimal("1.10")
        (again,) = await tally.per_day(store, TODAY, UTC)
        assert again.received_today == Decimal("1.10")
        monkeypatch.setattr(postgres_reads, "SETTLE_SECONDS", 0)  # now every event has settled
        await store.ingest([money("b", "2")], LANES, {})
        (settled,) = await tally.per_day(store, TODAY, UTC)
        (kept,) = await tally.per_day(store, TODAY, UTC)
        assert settled.received_today == kept.received_today == Decimal("3.10")
    finally:
        await store.close()


async def test_a_store_from_before_the_money_columns_is_filled_in_when_it_opens(tmp_path):
    path = tmp_path / "payalert.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version=1; COMMIT;")
    for number, (amount, at) in enumerate(
        [("12.50", "2026-12-03T08:00:00+05:30"), (None, "2026-12-03T09:00:00.250000+00:00")]
    ):
        direction = Direction.IN if amount else Direction.NONE
        payment = money(str(number), amount, direction=direction, at=datetime.fromisoformat(at))
        old.execute(
            "INSERT INTO events (source, external_id, kind, payment, created_at) VALUES (?, ?, ?, ?, ?)",
            ("shop", str(number), "test.payment", payment.to_json(), "2026-12-03T00:00:00+00:00"),
        )
    old.close()
    store = SQLiteStore(path)
    await store.open()
    try:
        rows = await store.read(
            lambda c: [
                tuple(row)
                for row in c.execute("SELECT occurred_epoch, direction, currency, amount FROM events")
            ]
        )
        assert rows == [
            (datetime(2026, 12, 3, 2, 30, tzinfo=UTC).timestamp(), "in", "INR", "12.50"),
            (datetime(2026, 12, 3, 9, 0, tzinfo=UTC).timestamp(), "none", None, None),
        ]
        (totals,) = await queries.MoneyTally().per_day(store, TODAY, UTC)
        assert totals.received_today == Decimal("12.50")
    finally:
        await store.close()


def test_a_payment_shows_the_status_its_source_told() -> None:
    """Pending and buyer-paid notices say so; money without a status is completed; no money is a notice."""
    from payalert_core.statuspage.view import payment_status

    moment = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    pending = Payment(
        source="exchange",
        kind="binance.deposit",
        external_id="deposit:7:pending",
        amount=None,
        currency=None,
        direction=Direction.NONE,
        occurred_at=moment,
        title="Deposit pending: 0.001 BNB (not yet received)",
        identity="deposit:7",
        status="pending",
    )
    credited = Payment(
        source="exchange",
        kind="binance.deposit",
        external_id="deposit:7",
        amount=Decimal("0.001"),
        currency="BNB",
        direction=Direction.IN,
        occurred_at=moment,
        title="Deposit credited",
    )
    notice = Payment(
        source="bank",
        kind="bank.unparsed_email",
        external_id="unparsed:1",
        amount=None,
        currency=None,
        direction=Direction.NONE,
        occurred_at=moment,
        title="A bank mail could not be read",
    )
    assert [payment_status(p) for p in (pending, credited, notice)] == ["pending", "completed", "notice"]
