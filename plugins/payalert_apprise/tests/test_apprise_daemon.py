"""A real ``payalert run``: signed webhook payments reach the receiver through Apprise exactly once."""

from __future__ import annotations

import pytest
from payalert_testing.apprise import WEBHOOK_SECRET, signed_webhook_post

FAST_RETRY = {"delivery": {"retry_initial": "0.2s", "retry_max": "1s"}}
SECRETS = ("T0K3N", "hunter22")


def order(number: int) -> dict:
    return {
        "id": f"order-{number}",
        "amount": "499.00",
        "currency": "inr",
        "title": f"Order #{number} paid",
        "counterparty": "Asha Rao",
        "reference": f"pay_Q{number}",
        "occurred_at": "2026-01-31T10:00:00+05:30",
        "details": {"Items": "2"},
    }


def expected_alert(number: int) -> dict:
    return {
        "version": "1.0",
        "title": f"+499.00 INR  Order #{number} paid",
        "message": f"Source: shop\nFrom: Asha Rao\nRef: pay_Q{number}\nWhen: 2026-01-31 04:30 UTC\nItems: 2",
        "attachments": [],
        "type": "success",
    }


@pytest.fixture
def start(payalert_daemon, receiver):
    def start(**options):
        urls = options.pop("urls", [receiver.url("json", auth="payalert:hunter22@")])
        return payalert_daemon.start(
            sources={"shop": {"type": "webhook", "secret": WEBHOOK_SECRET}},
            notifiers={"chat": {"type": "apprise", "urls": urls, **options}},
            settings=FAST_RETRY,
        )

    return start


def settled(daemon) -> bool:
    return daemon.health().json()["deliveries"] == {"pending": 0, "failed": 0}


def assert_no_secrets(daemon) -> None:
    shown = daemon.output() + daemon.health().body.decode() + daemon.metrics()
    assert not [secret for secret in SECRETS if secret in shown]


def test_a_payment_arrives_once_and_is_not_sent_again_after_a_restart(start, receiver):
    daemon = start()
    assert signed_webhook_post(daemon, "shop", order(1)).status == 202
    assert signed_webhook_post(daemon, "shop", order(1)).status == 200  # a duplicate: stored once
    [first] = receiver.wait_for(1)
    assert first.json() == expected_alert(1)
    daemon.wait_for(lambda: settled(daemon))
    health = daemon.health().json()["notifiers"]["chat"]
    assert health["targets"] == [f"json://127.0.0.1:{receiver.port}"]

    daemon.restart()
    assert signed_webhook_post(daemon, "shop", order(2)).status == 202
    receiver.wait_for(2)
    daemon.wait_for(lambda: settled(daemon))
    assert [r.json()["title"] for r in receiver.all()] == [
        "+499.00 INR  Order #1 paid",
        "+499.00 INR  Order #2 paid",
    ]
    assert_no_secrets(daemon)


def test_outage_then_server_error_then_recovery_delivers_exactly_once(start, receiver):
    daemon = start(urls=[receiver.url("form")])
    receiver.down()
    assert signed_webhook_post(daemon, "shop", order(7)).status == 202
    daemon.wait_for(
        lambda: (
            "cannot reach the service" in (daemon.health().json()["notifiers"]["chat"]["last_error"] or "")
        )
    )
    receiver.answer(500)
    receiver.up()
    [delivered] = receiver.wait_for(1)
    assert delivered.form() == {k: v for k, v in expected_alert(7).items() if k != "attachments"}
    daemon.wait_for(lambda: settled(daemon))
    assert [r.status for r in receiver.all()] == [500, 200]
    target = f"form://127.0.0.1:{receiver.port}"
    output = daemon.output()
    assert f"to chat/{target} failed ({target}: cannot reach the service" in output
    assert f"to chat/{target} failed ({target}: HTTP 500 Internal Server Error)" in output
    assert_no_secrets(daemon)


def test_refused_credentials_fail_permanently_and_the_lane_moves_on(start, receiver):
    daemon = start()
    receiver.answer(401)
    assert signed_webhook_post(daemon, "shop", order(1)).status == 202
    daemon.wait_for(lambda: daemon.health().json()["deliveries"]["failed"] == 1)
    assert (
        "HTTP 401 Unauthorized: check the credentials"
        in daemon.health().json()["notifiers"]["chat"]["last_error"]
    )
    # Kept for `payalert retry-failed`, not retried: the next payment on the lane goes out after it.
    assert signed_webhook_post(daemon, "shop", order(2)).status == 202
    receiver.wait_for(1)
    assert [(r.status, r.json()["title"]) for r in receiver.all()] == [
        (401, "+499.00 INR  Order #1 paid"),
        (200, "+499.00 INR  Order #2 paid"),
    ]
    assert "failed permanently: json://127.0.0.1:" in daemon.output()
    sent = daemon.cli("test-notify")
    assert sent.returncode == 0, sent.stderr
    assert f"chat -> json://127.0.0.1:{receiver.port}: sent" in sent.stdout
    assert receiver.all()[-1].json()["title"] == "+1,234.50 INR  Test alert"
    assert_no_secrets(daemon)
