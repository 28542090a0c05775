"""The store's contract, run against both backends (SQLite and PostgreSQL)."""

import asyncio
from datetime import UTC, datetime, timedelta

from payalert_core import PaymentMatch
from payalert_core.store import DeliveryStatus, Lane

from .helpers import payment, unwritable_payment

LANES = [Lane("tg", "chat1"), Lane("tg", "chat2")]


async def test_ingest_dedupes_and_creates_one_delivery_per_lane(store):
    first = await store.ingest([payment("a"), payment("b")], LANES, {})
    again = await store.ingest([payment("b"), payment("c")], LANES, {})
    assert len(first.new_event_ids) == 2 and first.duplicates == 0
    assert len(again.new_event_ids) == 1 and again.duplicates == 1
    assert [d.payment.external_id for d in await store.pending(Lane("tg", "chat2"))] == ["a", "b", "c"]
    assert (await store.delivery_counts())["tg"]["pending"] == 6


async def test_a_payment_repeated_within_one_ingest_is_stored_once(store):
    result = await store.ingest([payment("a"), payment("a"), payment("b")], LANES[:1], {})
    assert len(result.new_event_ids) == 2 and result.duplicates == 1
    assert [d.payment.external_id for d in await store.pending(LANES[0])] == ["a", "b"]


async def test_same_external_id_in_two_sources_is_two_events(store):
    result = await store.ingest([payment("x", source="one"), payment("x", source="two")], LANES, {})
    assert len(result.new_event_ids) == 2


async def test_cursor_is_saved_with_the_events(store):
    await store.ingest([payment("a")], LANES, {("source:shop", "cursor"): {"uid": 7}})
    assert await store.load_state("source:shop", "cursor") == {"uid": 7}
    assert await store.load_state("source:shop", "other") is None
    await store.ingest([], LANES, {("source:shop", "cursor"): {"uid": 8}})
    assert await store.load_state("source:shop", "cursor") == {"uid": 8}


async def test_state_is_saved_and_replaced(store):
    await store.save_state("notifier:tg", "chat_migrations", {"-1": -100})
    await store.save_state("notifier:tg", "chat_migrations", {"-1": -200})
    assert await store.load_state("notifier:tg", "chat_migrations") == {"-1": -200}


async def test_concurrent_ingests_all_land_in_order_per_lane(store):
    await asyncio.gather(*(store.ingest([payment(str(i))], LANES, {}) for i in range(200)))
    assert len(await store.recent_payments(1000)) == 200
    pending = await store.pending(LANES[0], limit=1000)
    assert len(pending) == 200 and [d.id for d in pending] == sorted(d.id for d in pending)


async def test_one_bad_payment_fails_only_its_own_ingest_not_those_committed_with_it(store):
    honest = [store.ingest([payment(f"ok{i}")], LANES, {("source:shop", f"c{i}"): i}) for i in range(20)]
    bad = store.ingest([unwritable_payment("bad")], LANES, {})
    results = await asyncio.gather(*honest[:10], bad, *honest[10:], return_exceptions=True)
    assert isinstance(results[10], ValueError)
    assert [len(r.new_event_ids) for r in results if not isinstance(r, BaseException)] == [1] * 20
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
    assert failed.status is DeliveryStatus.FAILED
    assert [d.id for d in await store.deliveries([DeliveryStatus.SENT])] == [first.id]
    assert await store.retry_failed() == 1
    assert [d.id for d in await store.pending(Lane("n", "t"))] == [second.id]


async def test_retry_failed_by_id_moves_only_those(store):
    await store.ingest([payment("a"), payment("b")], [Lane("n", "t")], {})
    first, second = await store.pending(Lane("n", "t"))
    await store.mark_failed(first.id, "no")
    await store.mark_failed(second.id, "no")
    assert await store.retry_failed([second.id]) == 1
    assert [d.id for d in await store.pending(Lane("n", "t"))] == [second.id]
    assert (await store.delivery_counts())["n"] == {"pending": 1, "failed": 1}


async def test_mark_retry_keeps_it_pending_with_a_later_time(store):
    await store.ingest([payment("a")], [Lane("n", "t")], {})
    (delivery,) = await store.pending(Lane("n", "t"))
    await store.mark_retry(delivery.id, "timeout", delivery.next_attempt_at + 60)
    (again,) = await store.pending(Lane("n", "t"))
    assert again.attempts == 1 and again.next_attempt_at == delivery.next_attempt_at + 60
    assert again.first_attempt_at is not None and again.last_error == "timeout"


async def test_a_late_outcome_never_reopens_a_finished_delivery(store):
    await store.ingest([payment("a")], [Lane("n", "t")], {})
    (delivery,) = await store.pending(Lane("n", "t"))
    await store.mark_sent(delivery.id)
    await store.mark_retry(
        delivery.id, "timeout", delivery.next_attempt_at + 60
    )  # e.g. a node that lost the lane
    (sent,) = await store.deliveries(["sent"])
    assert sent.attempts == 1 and await store.pending(Lane("n", "t")) == []


async def test_recent_payments_newest_first(store):
    await store.ingest([payment("a"), payment("b")], LANES, {})
    await store.ingest([payment("c")], LANES, {})
    assert [p.external_id for p in await store.recent_payments(2)] == ["c", "b"]


async def test_recent_payments_show_a_payment_followed_through_several_alerts_once(store):
    def alert(external_id: str, identity: str | None, status: str | None = None, source: str = "shop"):
        return payment(external_id, source=source).replace(identity=identity, status=status)

    await store.ingest([alert("one-off", None), alert("d1-pending", "deposit:1", "pending")], LANES, {})
    await store.ingest([alert("elsewhere", "deposit:1", "pending", source="other")], LANES, {})
    await store.ingest([alert("d1-credited", "deposit:1", "credited")], LANES, {})
    recent = await store.recent_payments(10)
    assert [(p.external_id, p.status) for p in recent] == [
        ("d1-credited", "credited"),
        ("elsewhere", "pending"),  # another source's identity is another payment
        ("one-off", None),
    ]
    assert [p.external_id for p in await store.recent_payments(1)] == ["d1-credited"]


async def test_claim_returns_the_lane_s_next_deliveries(store):
    await store.ingest([payment("a"), payment("b")], LANES, {})
    claimed = await store.claim(LANES[0], limit=1)
    assert [d.payment.external_id for d in claimed] == ["a"]
    assert store.holds(LANES[0])


async def test_reopening_keeps_everything(make_store):
    store = make_store()
    await store.open()
    await store.ingest([payment("a")], LANES, {("source:shop", "cursor"): 3})
    await store.close()
    store = make_store()
    await store.open()
    try:
        assert await store.load_state("source:shop", "cursor") == 3
        assert len(await store.pending(LANES[0])) == 1
    finally:
        await store.close()


async def test_events_are_found_by_id_and_read_after_one(store):
    assert await store.last_event_id() == 0
    first = await store.ingest([payment("a")], LANES, {})
    await store.ingest([payment("b"), payment("c", source="bank")], LANES, {})
    assert await store.event_id("shop", "a") == first.new_event_ids[0]
    assert await store.event_id("shop", "nope") is None
    assert await store.last_event_id() == first.new_event_ids[0] + 2
    assert [p.external_id for p in await store.payments_after(first.new_event_ids[0])] == ["b", "c"]


async def test_a_stored_alert_can_be_retitled_before_it_is_sent(store):
    stored = await store.ingest([payment("a")], LANES, {})
    await store.retitle_event(stored.new_event_ids[0], "payalert was down 3 h; 2 payments arrived meanwhile")
    (delivery, _) = await store.deliveries(["pending"])
    assert delivery.payment.title == "payalert was down 3 h; 2 payments arrived meanwhile"
    assert delivery.payment.replace(title="Payment a") == payment("a")


async def test_a_days_payments_and_failures_are_read_by_when_they_were_stored(store):
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert not await store.stored_before(before + timedelta(hours=1))
    await store.ingest([payment("a"), payment("b")], LANES, {})
    first, *_ = await store.pending(LANES[0])
    await store.mark_failed(first.id, "chat not found")
    after = datetime.now(UTC) + timedelta(seconds=1)
    assert not await store.stored_before(before)
    assert await store.stored_before(after)
    assert [p.external_id for p in await store.payments_stored_between(before, after)] == ["a", "b"]
    assert await store.payments_stored_between(after, after + timedelta(hours=1)) == []
    assert await store.failed_deliveries_between(before, after) == 1
    assert await store.failed_deliveries_between(after, after + timedelta(hours=1)) == 0


async def test_two_nodes_told_the_same_payment_at_once_alert_once(make_store):
    nodes = [make_store(), make_store()]
    for node in nodes:
        await node.open()
    try:
        match = PaymentMatch(
            "hdfc", "4477|2500|INR|credit", datetime(2026, 6, 2, 10, 15, tzinfo=UTC), "612345"
        )
        told = [payment(f"{source}:1", source=source).replace(match=match) for source in ("phone", "mail")]
        stored = await asyncio.gather(
            *(node.ingest_matching([p], LANES, {}) for node, p in zip(nodes, told, strict=True))
        )
        assert sum(len(s.new_event_ids) for s in stored) == 1
        assert sum(len(s.repeats) for s in stored) == 1
        tellings = await nodes[0].tellings("mail", "mail:1")
        assert len(tellings) == 2 and sum(t.is_repeat for t in tellings) == 1
    finally:
        for node in nodes:
            await node.close()
