import asyncio
import decimal
import json
import time
from datetime import timedelta

import pytest

from payalert_core import FALLBACK_KIND, Notifier, Payment, PermanentFailure, RetryLater
from payalert_core.config import DeliverySettings
from payalert_core.delivery import DeliveryService, LaneWorker
from payalert_core.health import HealthRecord
from payalert_core.metrics import Metrics
from payalert_core.store import Lane, SQLiteStore

from .helpers import payment

LANE = Lane("fake", "default")
FAST = DeliverySettings(retry_initial=timedelta(milliseconds=20), retry_max=timedelta(milliseconds=100))


class ScriptedNotifier(Notifier):
    """Fails according to a script of outcomes, then succeeds; records what it sent and when."""

    type_name = "scripted"

    def __init__(self, script=()):
        self.script = list(script)
        self.sent: list[tuple[str, float]] = []
        self.calls = 0

    async def send(self, payment, target):
        self.calls += 1
        if self.script:
            outcome = self.script.pop(0)
            if outcome is not None:
                raise outcome
        self.sent.append((payment.external_id, time.monotonic()))


@pytest.fixture
async def store(tmp_path):
    store = SQLiteStore(tmp_path / "payalert.sqlite3")
    await store.open()
    yield store
    await store.close()


async def deliver(store, notifier, ids, settings=FAST, until=None, timeout=5.0):
    await store.ingest([payment(i) for i in ids], [LANE], {})
    metrics = Metrics()
    health = HealthRecord("notifier")
    worker = LaneWorker(LANE, notifier, store, settings, metrics, health)
    service = DeliveryService()
    service.add(worker)
    service.start()
    deadline = time.monotonic() + timeout
    done = until or (lambda: len(notifier.sent) >= len(ids))
    while not done() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await service.stop(grace=1)
    return metrics, health


def metric(metrics, outcome):
    return metrics.deliveries.labels("fake", outcome)._value.get()


async def test_sends_in_order_and_marks_sent(store):
    notifier = ScriptedNotifier()
    metrics, health = await deliver(store, notifier, ["a", "b", "c"])
    assert [i for i, _ in notifier.sent] == ["a", "b", "c"]
    assert await store.pending(LANE) == []
    assert metric(metrics, "sent") == 3 and health.last_success is not None


async def test_a_retried_delivery_holds_the_lane_so_order_is_kept(store):
    notifier = ScriptedNotifier([RetryLater("timeout"), RetryLater("timeout")])
    metrics, health = await deliver(store, notifier, ["a", "b"])
    assert [i for i, _ in notifier.sent] == ["a", "b"]
    assert metric(metrics, "retried") == 2
    assert health.last_error == "timeout"


async def test_retry_after_is_honoured(store):
    notifier = ScriptedNotifier([RetryLater("429", retry_after=0.3)])
    started = time.monotonic()
    await deliver(store, notifier, ["a"])
    assert notifier.sent[0][1] - started >= 0.3


async def test_permanent_failure_is_kept_and_the_lane_moves_on(store):
    notifier = ScriptedNotifier([PermanentFailure("chat not found")])
    metrics, _ = await deliver(store, notifier, ["a", "b"], until=lambda: notifier.sent)
    assert [i for i, _ in notifier.sent] == ["b"]
    (failed,) = await store.deliveries(["failed"])
    assert failed.payment.external_id == "a" and failed.last_error == "chat not found"
    assert metric(metrics, "failed") == 1


async def test_unexpected_errors_are_retried(store):
    notifier = ScriptedNotifier([ValueError("bug in a notifier")])
    await deliver(store, notifier, ["a"])
    assert [i for i, _ in notifier.sent] == ["a"]
    assert notifier.calls == 2


async def test_give_up_after_marks_failed(store):
    settings = DeliverySettings(
        retry_initial=timedelta(milliseconds=20),
        retry_max=timedelta(milliseconds=40),
        give_up_after=timedelta(milliseconds=100),
    )
    notifier = ScriptedNotifier([RetryLater("down")] * 1000)

    async def failed_count():
        return len(await store.deliveries(["failed"]))

    await store.ingest([payment("a")], [LANE], {})
    worker = LaneWorker(LANE, notifier, store, settings, Metrics(), HealthRecord("notifier"))
    task = asyncio.create_task(worker.run())
    for _ in range(300):
        if await failed_count():
            break
        await asyncio.sleep(0.01)
    worker.stop()
    await asyncio.wait_for(task, 2)
    (failed,) = await store.deliveries(["failed"])
    assert "gave up" in failed.last_error


async def test_stop_gives_an_in_flight_send_its_grace(store):
    class Slow(ScriptedNotifier):
        async def send(self, payment, target):
            await asyncio.sleep(0.2)
            await super().send(payment, target)

    notifier = Slow()
    await store.ingest([payment("a")], [LANE], {})
    service = DeliveryService()
    service.add(LaneWorker(LANE, notifier, store, FAST, Metrics(), HealthRecord("notifier")))
    service.start()
    await asyncio.sleep(0.05)
    await service.stop(grace=2)
    assert [i for i, _ in notifier.sent] == ["a"]
    assert await store.pending(LANE) == []


class Unshowable(ScriptedNotifier):
    """Cannot format the payments in ``poison`` (as with an amount no formatting can handle)."""

    def __init__(self, poison, script=(), fallback_fails=False):
        super().__init__(script)
        self.poison = set(poison)
        self.fallback_fails = fallback_fails
        self.kinds: list[tuple[str, str]] = []

    def render(self, payment, target):
        if payment.external_id in self.poison and (payment.kind != FALLBACK_KIND or self.fallback_fails):
            raise decimal.Overflow("[<class 'decimal.Overflow'>]")
        return super().render(payment, target)

    async def send(self, payment, target):
        await super().send(payment, target)
        self.kinds.append((payment.external_id, payment.kind))


async def test_a_payment_that_cannot_be_shown_fails_at_once_and_a_plain_alert_goes_instead(store):
    notifier = Unshowable(poison={"b"})
    metrics, health = await deliver(store, notifier, ["a", "b", "c"])
    assert notifier.kinds == [("a", "test.payment"), ("b", FALLBACK_KIND), ("c", "test.payment")]
    assert notifier.calls == 3  # the unshowable one was never retried
    (failed,) = await store.deliveries(["failed"])
    assert failed.payment.external_id == "b" and failed.attempts == 1
    assert "cannot be shown (Overflow" in failed.last_error and "plain alert" in failed.last_error
    assert await store.pending(LANE) == []
    assert metric(metrics, "failed") == 1 and metric(metrics, "sent") == 2
    assert "cannot be shown" in health.last_error  # /health says why


async def test_the_plain_alert_is_retried_like_any_send_so_it_is_never_lost(store):
    notifier = Unshowable(poison={"a"}, script=[RetryLater("down"), RetryLater("down")])
    metrics, _ = await deliver(store, notifier, ["a", "b"])
    assert notifier.kinds == [("a", FALLBACK_KIND), ("b", "test.payment")]
    (failed,) = await store.deliveries(["failed"])
    assert failed.attempts == 3 and metric(metrics, "retried") == 2


async def test_when_not_even_the_plain_alert_can_be_shown_the_lane_still_moves_on(store):
    notifier = Unshowable(poison={"a"}, fallback_fails=True)
    await deliver(store, notifier, ["a", "b"])
    assert notifier.kinds == [("b", "test.payment")]
    (failed,) = await store.deliveries(["failed"])
    assert "nor can the plain alert" in failed.last_error


async def test_a_stored_payment_from_before_the_bounds_is_dead_lettered_with_a_plain_alert(store):
    """An older payalert stored an amount of 1e1000000: formatting it used to block the lane for good."""
    await store.ingest([payment("old")], [LANE], {})
    poison = json.loads(payment("old").to_json())
    poison["amount"] = "1E+1000000"
    await store.write(
        lambda connection: connection.execute(
            "UPDATE events SET payment = ? WHERE external_id = 'old'", (json.dumps(poison),)
        )
    )
    notifier = ScriptedNotifier()  # the default render: the core's plain text
    sent: list[Payment] = []
    original = notifier.send

    async def keep(payment_, target):
        sent.append(payment_)
        await original(payment_, target)

    notifier.send = keep
    await deliver(store, notifier, ["new"], until=lambda: len(sent) >= 2)  # the fallback, then "new"
    assert [(p.external_id, p.kind) for p in sent] == [("old", FALLBACK_KIND), ("new", "test.payment")]
    assert sent[0].details["Amount as stored"] == "1E+1000000 INR"
    (failed,) = await store.deliveries(["failed"])
    assert failed.payment.external_id == "old" and "amount: must be less than 10^15" in failed.last_error
