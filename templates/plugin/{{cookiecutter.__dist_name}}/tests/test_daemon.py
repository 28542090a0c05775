{% set name = cookiecutter.plugin_name -%}
"""Integration tests: the installed plugin inside a real ``payalert run`` on a loopback port.

``payalert_daemon`` comes with payalert-testing: it writes a config around the given sources, adds a
``recorder`` notifier that keeps every alert, and kills the daemon after the test.
"""

from __future__ import annotations

{% if cookiecutter.kind == "push" -%}
import json
from decimal import Decimal

from payalert_core import sign_sha256

SECRET = "s3cret-for-tests"
SOURCES = {"shop": {"type": "{{ name }}", "secret": SECRET}}


def signed(payload: object) -> tuple[bytes, dict[str, str]]:
    """A body and the headers that sign it."""
    body = json.dumps(payload).encode()
    return body, {"X-Signature": sign_sha256(SECRET, body)}


def order(order_id: str, amount: str) -> dict[str, str]:
    """A payment notification."""
    return {"id": order_id, "amount": amount, "currency": "EUR", "paid_at": "2026-01-31T10:00:00Z"}


def test_each_payment_alerts_once(payalert_daemon):
    daemon = payalert_daemon.start(sources=SOURCES)
    first, headers = signed(order("order-1", "19.90"))
    assert daemon.post("/hooks/shop/", first, headers).status == 202
    assert daemon.post("/hooks/shop/", first, headers).status == 200  # a redelivery
    second, headers = signed(order("order-2", "5.00"))
    assert daemon.post("/hooks/shop/", second, headers).status == 202
    alerts = daemon.wait_for_alerts(2)
    assert [alert.payment.external_id for alert in alerts] == ["order-1", "order-2"]
    assert alerts[0].payment.amount == Decimal("19.90")
    assert alerts[0].payment.source == "shop"


def test_a_forged_request_is_refused_and_counted(payalert_daemon):
    daemon = payalert_daemon.start(sources=SOURCES)
    body = json.dumps(order("order-1", "19.90")).encode()
    forged = {"X-Signature": sign_sha256("guess", body)}
    assert daemon.post("/hooks/shop/", body, forged).status == 401
    metric = 'payalert_source_events_total{event="signature_rejected",source="shop"} 1.0'
    assert metric in daemon.metrics()
    assert daemon.alerts() == []
{%- elif cookiecutter.kind == "polled" %}
def test_payments_alert_once_across_a_restart(payalert_daemon, api):
    api.add("p-1", "10.00", customer="Asha")
    api.add("p-2", "0.50")
    source = {
        "type": "{{ name }}",
        "url": api.url,
        "token": api.token,
        "interval": "1s",
    }
    daemon = payalert_daemon.start(sources={"shop": source})
    daemon.wait_for_alerts(2)
    polls_before_restart = len(api.queries)
    daemon.restart()
    api.add("p-3", "7.25")
    alerts = daemon.wait_for_alerts(3)
    assert [alert.payment.external_id for alert in alerts] == ["p-1", "p-2", "p-3"]
    assert alerts[0].payment.counterparty == "Asha"
    assert 0 not in api.queries[polls_before_restart:]  # it resumed from the stored cursor


def test_a_refused_token_shows_in_health(payalert_daemon, api):
    source = {
        "type": "{{ name }}",
        "url": api.url,
        "token": "wrong-token",
        "interval": "1s",
    }
    daemon = payalert_daemon.start(sources={"shop": source})
    report = daemon.wait_for(lambda: daemon.health().json()["sources"]["shop"].get("last_error"))
    assert "sources.shop.token" in report
    assert "wrong-token" not in daemon.health().body.decode() + daemon.output()
{%- elif cookiecutter.kind == "stream" %}
def test_payments_alert_once_across_a_reconnect(payalert_daemon, stream):
    stream.add("p-1", "10.00", customer="Asha")
    source = {
        "type": "{{ name }}",
        "url": stream.url,
        "token": stream.token,
    }
    daemon = payalert_daemon.start(sources={"feed": source})
    stream.add("p-2", "0.50")
    daemon.wait_for_alerts(2)
    stream.hang_up()
    stream.wait_for(lambda: len(stream.connections) == 2)
    stream.add("p-3", "7.25")
    alerts = daemon.wait_for_alerts(3)
    assert [alert.payment.external_id for alert in alerts] == ["p-1", "p-2", "p-3"]
    assert alerts[0].payment.counterparty == "Asha"
    assert stream.connections == [0, 2]  # the reconnect resumed after the stored cursor


def test_a_refused_token_shows_in_health(payalert_daemon, stream):
    source = {
        "type": "{{ name }}",
        "url": stream.url,
        "token": "wrong-token",
    }
    daemon = payalert_daemon.start(sources={"feed": source})
    report = daemon.wait_for(lambda: daemon.health().json()["sources"]["feed"].get("last_error"))
    assert "sources.feed.token" in report
    assert "wrong-token" not in daemon.health().body.decode() + daemon.output()
{%- elif cookiecutter.kind == "notifier" -%}
import json

from payalert_core import sign_sha256

SECRET = "s3cret-for-tests"
PAYMENT = {"id": "t-1", "amount": "1234.50", "currency": "INR", "title": "UPI credit"}


def test_an_alert_reaches_the_webhook_after_a_retry(payalert_daemon, chat):
    chat.fail_next(503)
    notifier = {
        "type": "{{ name }}",
        "url": chat.url + "/hook",
    }
    daemon = payalert_daemon.start(
        sources={"in": {"type": "webhook", "secret": SECRET}},
        notifiers={"chat": notifier},
        settings={"delivery": {"retry_initial": "200ms"}},
    )
    body = json.dumps(PAYMENT).encode()
    headers = {"X-Payalert-Signature": sign_sha256(SECRET, body)}
    assert daemon.post("/hooks/in/", body, headers).status == 202
    (message,) = chat.wait_for_messages(1)
    assert message["text"] == "UPI credit\n1,234.50 INR"
    assert message["payment"]["external_id"] == "t-1"
    assert chat.failures == []  # the first attempt was answered 503


def test_test_notify_sends_one_alert(payalert_daemon, chat):
    notifier = {
        "type": "{{ name }}",
        "url": chat.url + "/hook",
    }
    daemon = payalert_daemon.start(notifiers={"chat": notifier})
    result = daemon.cli("test-notify")
    assert result.returncode == 0, result.stderr
    assert "chat -> default: sent" in result.stdout
    (message,) = chat.messages
    assert message["text"].startswith("Test alert")
{%- endif %}
