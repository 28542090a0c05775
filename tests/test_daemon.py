import json
import signal
import time

from payalert_core import sign_sha256
from payalert_core.sources.webhook import SIGNATURE_HEADER

from .webhook_client import SECRET, signed_post, webhook_source


def test_webhook_payment_is_stored_then_alerted(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()})
    answer = signed_post(
        daemon, "shop", {"id": "o-1", "amount": "499.00", "currency": "INR", "title": "Order 1"}
    )
    assert answer.status == 202
    (alert,) = daemon.wait_for_alerts(1)
    assert alert.payment.source == "shop" and str(alert.payment.amount) == "499.00"
    assert alert.target == "default"


def test_the_url_works_without_its_trailing_slash(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()})
    body = b'{"id": "o-2", "amount": "1", "currency": "USD"}'
    headers = {SIGNATURE_HEADER: sign_sha256(SECRET, body)}
    assert daemon.post("/hooks/shop", body, headers).status == 202
    assert daemon.post("/hooks/shop", b"{}", {}).status == 401
    assert daemon.request("GET", "/hooks/nosuch").status == 404
    daemon.wait_for_alerts(1)


def test_redelivery_alerts_once(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()})
    payload = {"id": "o-1", "amount": "5", "currency": "USD"}
    assert signed_post(daemon, "shop", payload).status == 202
    assert signed_post(daemon, "shop", payload).status == 200
    daemon.wait_for_alerts(1)
    time.sleep(0.3)
    assert len(daemon.alerts()) == 1
    assert 'payalert_events_duplicate_total{source="shop"} 1.0' in daemon.metrics()


def test_forged_and_missing_signatures_get_401_and_are_counted(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()})
    assert (
        signed_post(daemon, "shop", {"id": "x", "amount": "1", "currency": "USD"}, secret="wrong").status
        == 401
    )
    assert daemon.post("/hooks/shop/", b'{"id": "y"}').status == 401
    assert 'payalert_source_events_total{event="signature_rejected",source="shop"} 2.0' in daemon.metrics()
    assert daemon.alerts() == []


def test_oversized_body_gets_413(payalert_daemon):
    daemon = payalert_daemon.start(
        sources={"shop": webhook_source()}, settings={"server": {"max_body_bytes": 1000}}
    )
    assert daemon.post("/hooks/shop/", b"x" * 5000).status == 413


def test_filters_min_amount_and_kinds(payalert_daemon):
    source = webhook_source(min_amount={"INR": 100}, exclude_kinds=["shop.refund"])
    daemon = payalert_daemon.start(sources={"shop": source})
    signed_post(daemon, "shop", {"id": "small", "amount": "99.99", "currency": "INR"})
    signed_post(daemon, "shop", {"id": "refund", "amount": "500", "currency": "INR", "kind": "shop.refund"})
    signed_post(daemon, "shop", {"id": "usd", "amount": "1", "currency": "USD"})
    signed_post(daemon, "shop", {"id": "big", "amount": "100", "currency": "INR"})
    alerts = daemon.wait_for_alerts(2)
    time.sleep(0.3)
    assert (
        sorted(a.payment.external_id for a in daemon.alerts())
        == ["big", "usd"]
        == sorted(a.payment.external_id for a in alerts)
    )
    assert 'payalert_events_filtered_total{source="shop"} 2.0' in daemon.metrics()


def test_each_notifier_target_gets_its_own_delivery(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()}, recorder={"targets": ["a", "b"]})
    signed_post(daemon, "shop", {"id": "1", "amount": "1", "currency": "USD"})
    alerts = daemon.wait_for_alerts(2)
    assert sorted(a.target for a in alerts) == ["a", "b"]


def test_health_reports_sources_and_deliveries(payalert_daemon):
    daemon = payalert_daemon.start(
        sources={
            "shop": webhook_source(),
            "feed": {"type": "feed-poll", "path": "feed.jsonl", "interval": "1s"},
        },
        recorder={"fail_kinds": ["doomed"]},
    )
    signed_post(daemon, "shop", {"id": "1", "amount": "1", "currency": "USD", "kind": "doomed"})
    body = daemon.wait_for(
        lambda: (daemon.health().json()["deliveries"]["failed"] == 1) and daemon.health().json()
    )
    assert body["sources"]["feed"]["kind"] == "polled" and body["sources"]["feed"]["last_success"]
    assert body["notifiers"]["recorder"]["failed"] == 1
    assert "refuses kind doomed" in body["notifiers"]["recorder"]["last_error"]
    # An alert that could not be delivered needs attention until the notifier works again.
    assert daemon.health().status == 503
    assert body["unhealthy"] == ["recorder"] and not body["notifiers"]["recorder"]["healthy"]
    signed_post(daemon, "shop", {"id": "2", "amount": "1", "currency": "USD"})
    daemon.wait_for_alerts(1)
    daemon.wait_for(lambda: daemon.health().status == 200)
    assert daemon.health().json()["notifiers"]["recorder"]["failed"] == 1


def test_polled_source_failing_for_three_intervals_makes_health_503(payalert_daemon, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "p1", "amount": "3", "currency": "EUR"}) + "\n")
    daemon = payalert_daemon.start(
        sources={
            "feed": {
                "type": "feed-poll",
                "path": str(feed),
                "interval": "0.3s",
                "jitter": 0,
                "fail_polls": 1000,
            }
        }
    )
    answer = daemon.wait_for(lambda: (r := daemon.health()).status == 503 and r, timeout=10)
    body = answer.json()
    assert body["unhealthy"] == ["feed"] and "feed-poll told to fail" in body["sources"]["feed"]["last_error"]
    assert 'payalert_polls_total{outcome="failed",source="feed"}' in daemon.metrics()


def test_failing_poll_is_retried_and_then_succeeds(payalert_daemon, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "".join(json.dumps({"id": f"p{i}", "amount": "1", "currency": "EUR"}) + "\n" for i in range(3))
    )
    daemon = payalert_daemon.start(
        sources={"feed": {"type": "feed-poll", "path": str(feed), "interval": "30s", "fail_polls": 2}}
    )
    alerts = daemon.wait_for_alerts(3, timeout=20)  # backoff retries sooner than the 30 s interval
    assert [a.payment.external_id for a in alerts] == ["p0", "p1", "p2"]
    assert "poll failed" in daemon.output()


def test_stream_source_is_restarted_and_loses_nothing(payalert_daemon, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "".join(json.dumps({"id": f"s{i}", "amount": "1", "currency": "EUR"}) + "\n" for i in range(5))
    )
    daemon = payalert_daemon.start(
        sources={"feed": {"type": "feed-stream", "path": str(feed), "crash_every": 2}}
    )
    alerts = daemon.wait_for_alerts(5, timeout=20)
    assert [a.payment.external_id for a in alerts] == [f"s{i}" for i in range(5)]
    assert "restarting in" in daemon.output()


def test_stream_down_makes_health_503(payalert_daemon, tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "s0", "amount": "1", "currency": "EUR"}) + "\n")
    daemon = payalert_daemon.start(
        sources={"feed": {"type": "feed-stream", "path": str(feed), "crash_every": 1}}
    )
    answer = daemon.wait_for(lambda: (r := daemon.health()).status == 503 and r)
    assert answer.json()["sources"]["feed"]["connected"] is False


def test_sigterm_stops_cleanly_and_in_flight_send_finishes(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()}, recorder={"delay": "0.5s"})
    signed_post(daemon, "shop", {"id": "1", "amount": "1", "currency": "USD"})
    time.sleep(0.1)
    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(15) == 0
    assert [a.payment.external_id for a in daemon.alerts()] == ["1"]
    assert "stopped" in daemon.output()


def test_secret_never_appears_in_output(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()}, settings={"log_level": "DEBUG"})
    signed_post(daemon, "shop", {"id": "1", "amount": "1", "currency": "USD"}, secret="wrong")
    signed_post(daemon, "shop", {"id": "2", "amount": "1", "currency": "USD"})
    daemon.wait_for_alerts(1)
    checked = daemon.cli("check-config")
    served = daemon.health().body.decode() + daemon.metrics()
    daemon.stop()
    assert "signature_rejected" in served  # the scan covers what /health and /metrics really show
    assert SECRET not in daemon.output() + served + checked.stdout + checked.stderr


def test_health_shows_strangers_only_its_status_and_metrics_need_the_token(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()}, recorder={"fail_first": 1000})
    assert signed_post(daemon, "shop", {"id": "o-1", "amount": "5", "currency": "USD"}).status == 202
    daemon.wait_for(lambda: daemon.health().status == 503)
    anonymous = daemon.request("GET", "/health")
    assert anonymous.status == 503
    assert anonymous.json() == {"status": "degraded", "problems": ["notifier_failing"]}
    assert "recorder told to fail" in daemon.health().body.decode()  # the token holder sees why
    assert daemon.request("GET", "/metrics").status == 401
    assert 'payalert_events_ingested_total{source="shop"} 1.0' in daemon.metrics()
