"""A payment's status changes: found by identity in the store, delivered as updates, never counted twice."""

import asyncio
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

from payalert_core import Direction, Notifier, Payment, StatusUpdate
from payalert_core.config import DeliverySettings
from payalert_core.delivery import DeliveryService, LaneWorker
from payalert_core.health import HealthRecord
from payalert_core.metrics import Metrics
from payalert_core.notifiers.console import ConsoleConfig, ConsoleNotifier
from payalert_core.store import Lane, postgres_reads, sqlite_reads
from payalert_core.store.postgres import PostgresStore

from .helpers import payment, postgres_plan

LANE = Lane("fake", "default")
AT = datetime(2026, 1, 1, 14, 2, tzinfo=UTC)


def deposit(external_id: str, status: str, counts: bool) -> Payment:
    """A deposit alert of payment ``deposit:7``: the pending one is a notice, the credited one counts."""
    return Payment(
        source="bn",
        kind=f"binance.deposit.{status}",
        external_id=external_id,
        amount=Decimal("0.001") if counts else None,
        currency="BNB" if counts else None,
        direction=Direction.IN if counts else Direction.NONE,
        occurred_at=AT,
        title=f"Deposit {status}: 0.001 BNB",
        details={"Amount": "0.001 BNB (not yet received)"} if not counts else {},
        identity="deposit:7",
        status=status,
    )


PENDING = deposit("deposit-pending:7", "pending", counts=False)
CREDITED = deposit("deposit:7", "credited", counts=True)


class UpdatingNotifier(Notifier):
    """Records which alerts went as first alerts and which as updates (of which first alert)."""

    type_name = "updating"

    def __init__(self):
        self.sent: list[str] = []
        self.updates: list[tuple[str, str]] = []

    async def send(self, payment, target):
        self.sent.append(payment.external_id)

    async def send_update(self, update, target):
        self.updates.append((update.payment.external_id, update.first.external_id))


def test_identity_and_status_survive_the_store_round_trip():
    again = Payment.from_json(CREDITED.to_json())
    assert (again.identity, again.status) == ("deposit:7", "credited")
    assert "identity" not in payment("plain").to_json()  # a one-off stores exactly as before


def test_identity_and_status_are_bounded_like_every_text():
    odd = PENDING.replace(identity="x\n" * 500, status="pending\u202e" + "y" * 100)
    assert "\n" not in odd.identity and len(odd.identity) <= 256
    assert odd.status.isprintable() and len(odd.status) <= 40


def test_the_follow_up_line_names_the_first_alert():
    update = StatusUpdate(CREDITED, PENDING)
    assert update.follow_up_line() == "✔ credited: +0.001 BNB deposit from 14:02"
    follow_up = update.follow_up()
    assert follow_up.amount is None and follow_up.direction is Direction.NONE  # counts nothing more
    assert follow_up.title == update.follow_up_line() and follow_up.summary == CREDITED.title
    cancelled = deposit("deposit-failed:7", "cancelled", counts=False)
    assert StatusUpdate(cancelled, PENDING).follow_up_line().startswith("✖ cancelled: 0.001 BNB")


async def test_the_store_finds_a_payments_first_alert_by_identity(store):
    other = payment("other").replace(identity="deposit:8")
    await store.ingest([PENDING, other, CREDITED], [LANE], {})
    pending, _, credited = await store.pending(LANE)
    assert await store.first_alert("bn", "deposit:7", credited.event_id) == PENDING
    assert await store.first_alert("bn", "deposit:7", pending.event_id) is None
    assert await store.first_alert("elsewhere", "deposit:7", credited.event_id + 1) is None


def test_the_identity_lookup_uses_an_index(sqlite_store):
    connection = sqlite3.connect(sqlite_store.path)
    plan = connection.execute(
        "EXPLAIN QUERY PLAN " + sqlite_reads.FIRST_ALERT, ("bn", "deposit:7", 10)
    ).fetchall()
    connection.close()
    assert "events_by_identity" in " ".join(str(row) for row in plan)


async def test_the_identity_lookup_uses_an_index_on_postgresql(postgres_url):
    store = PostgresStore(postgres_url)
    await store.open()  # migrates
    await store.close()
    plan = postgres_plan(postgres_url, postgres_reads.FIRST_ALERT, ("bn", "deposit:7", 10))
    assert "events_by_identity" in plan, plan


async def test_a_later_status_is_delivered_as_an_update_of_the_first_alert(store):
    notifier = UpdatingNotifier()
    await store.ingest([PENDING, payment("one-off"), CREDITED], [LANE], {})
    service = DeliveryService()
    service.add(LaneWorker(LANE, notifier, store, DeliverySettings(), Metrics(), HealthRecord("notifier")))
    service.start()
    for _ in range(200):
        if notifier.updates:
            break
        await asyncio.sleep(0.01)
    await service.stop(grace=1)
    assert notifier.sent == ["deposit-pending:7", "one-off"]
    assert notifier.updates == [("deposit:7", "deposit-pending:7")]
    assert await store.pending(LANE) == []


async def test_the_console_sends_a_short_follow_up(capsys):
    config = ConsoleConfig(type="console", timezone="Asia/Kolkata")
    console = ConsoleNotifier("console", config, runtime=None)
    await console.send_update(StatusUpdate(CREDITED, PENDING), "default")
    printed = capsys.readouterr().out
    assert printed.startswith("✔ credited: +0.001 BNB deposit from 19:32")  # 14:02 UTC, in IST
    assert "Deposit credited: 0.001 BNB" in printed
