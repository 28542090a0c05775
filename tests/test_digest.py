"""The daily digest: what it adds up, when it is due, and that it is stored once per day."""

import json
import signal
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from payalert_core import Direction, Payment
from payalert_core.configtypes import DigestConfig
from payalert_core.digest import DigestSender, digest_payment, read_day
from payalert_core.store import Lane

from .helpers import payment

LANE = Lane("tg", "111")


def notice(external_id: str, identity: str, status: str) -> Payment:
    return payment(external_id).replace(
        amount=None, currency=None, direction=Direction.NONE, identity=identity, status=status
    )


def test_the_digest_time_and_day_follow_the_time_zone():
    config = DigestConfig(at="21:00", timezone="Asia/Kolkata")
    before = datetime(2026, 12, 3, 15, 29, tzinfo=UTC)  # 20:59 in Kolkata
    after = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)  # 21:00
    assert config.last_due(before) == date(2026, 12, 2) and config.last_due(after) == date(2026, 12, 3)
    start, end = config.day_bounds(date(2026, 12, 3))
    assert end == after and end - start == timedelta(days=1)
    with pytest.raises(ValidationError, match="time of day"):
        DigestConfig(at="25:00")


async def test_only_completed_payments_count_and_open_notices_are_listed(store):
    await store.ingest(
        [
            payment("in-1", "100.00"),
            payment("in-2", "50.50", source="bank"),
            payment("out-1", "20.00").replace(direction=Direction.OUT),
            notice("pending-7", "deposit:7", "pending"),  # still open at the end of the day
            notice("pending-8", "deposit:8", "pending"),
            payment("credited-8", "1.00").replace(identity="deposit:8", status="credited"),
            notice("p2p-9", "p2p:9", "cancelled"),  # ended: not open
        ],
        [LANE],
        {},
    )
    now = datetime.now(UTC)
    summary = await read_day(store, now - timedelta(hours=1), now + timedelta(seconds=1))
    assert summary.payments == 4
    assert dict(summary.received) == {("shop", "INR"): Decimal("101.00"), ("bank", "INR"): Decimal("50.50")}
    assert dict(summary.sent) == {("shop", "INR"): Decimal("20.00")}
    assert summary.open_notices == ["Payment pending-7"]
    alert = digest_payment("tg", date(2026, 12, 3), summary, now)
    assert alert.amount is None and alert.external_id == "digest:tg:2026-12-03"
    assert alert.title == "Daily digest, 3 Dec 2026: 4 payments"
    assert alert.details["Received (shop)"] == "101.00 INR" and alert.details["Sent (shop)"] == "20.00 INR"
    assert alert.details["Still open 1"] == "Payment pending-7"


async def test_a_digest_is_stored_once_per_day_and_a_first_start_sends_none(store):
    woken = []

    async def status():
        return 200, {
            "sources": {"bn": {"last_failure": datetime.now(UTC).isoformat(), "last_error": "HTTP 429"}}
        }

    sender = DigestSender("tg", DigestConfig(at="00:00"), store, [LANE], lambda: woken.append(1), status)
    await sender.send_due(catching_up=True)  # nothing stored yet: payalert was not in use then
    assert await store.pending(LANE) == []
    await sender.send_due()
    await sender.send_due(catching_up=True)  # a restart: the same day's digest is not stored twice
    (delivery,) = await store.pending(LANE)
    assert delivery.payment.kind == "payalert.digest" and woken == [1]
    assert delivery.payment.details["Problem 1"] == "bn: HTTP 429"


def test_a_digest_killed_at_send_time_goes_out_once(payalert_daemon):
    local = datetime.now(ZoneInfo("Asia/Kolkata")) + timedelta(seconds=4)
    digest = {"at": f"{local:%H:%M:%S}", "timezone": "Asia/Kolkata"}
    # The recorder takes 3 s per send: the kill comes while the digest is being sent.
    daemon = payalert_daemon.start(recorder={"delay": "3s", "digest": digest})
    daemon.wait_for(lambda: "stored for sending" in daemon.output(), timeout=20)
    daemon.process.send_signal(signal.SIGKILL)
    daemon.process.wait()
    assert daemon.alerts() == []
    listed = daemon.cli("deliveries").stdout  # the digest waits in the outbox like an alert
    assert "pending" in listed and "payalert: Daily digest" in listed
    daemon.restart()
    (alert,) = daemon.wait_for_alerts(1, timeout=20)
    assert alert.payment.kind == "payalert.digest"
    assert alert.payment.external_id == f"digest:recorder:{local.date().isoformat()}"
    daemon.stop()
    daemon.restart()  # a later start finds the day's digest stored: it is not sent again
    daemon.wait_for(lambda: daemon.health().json()["deliveries"]["pending"] == 0)
    assert [json.loads(a.payment.to_json())["kind"] for a in daemon.alerts()] == ["payalert.digest"]
