"""End to end: every Binance error the issue lists, as the daemon handles it."""

from __future__ import annotations

import time

import pytest
from payalert_testing.binance import DEPOSITS, PAY, RESTRICTIONS, TIME, Fault, deposit_record

QUIET_SECONDS = 2.0  # four 0.5s intervals: long enough to show that polling paused


def source(server, **overrides):
    return {"bn": server.source_config(p2p=False, pay=False, **overrides)}


def requests_during(server, path: str, seconds: float) -> int:
    """How many requests reach ``path`` in the next ``seconds`` (used to show a pause)."""
    before = len(server.requests_to(path))
    time.sleep(seconds)
    return len(server.requests_to(path)) - before


def test_clock_skew_is_resynced_and_the_alert_still_comes(payalert_daemon, binance_server):
    server = binance_server
    daemon = payalert_daemon.start(sources=source(server, backfill="1h"))
    daemon.wait_for(lambda: server.requests_to(DEPOSITS))
    server.clock_offset_ms = 45_000  # Binance's clock runs ahead of ours
    server.add_deposits(deposit_record("skewed", insert_time=server.now_ms() - 1000))
    (alert,) = daemon.wait_for_alerts(1)
    assert alert.payment.external_id == "deposit:skewed"
    statuses = [(r.path, r.status) for r in server.requests]
    refused = statuses.index((DEPOSITS, 400))
    assert statuses[refused + 1] == (TIME, 200) and statuses[refused + 2] == (DEPOSITS, 200)
    assert "resynchronising server time" in daemon.output()
    assert 'event="clock_resync"' in daemon.metrics()


def test_rate_limit_honours_retry_after(payalert_daemon, binance_server):
    server = binance_server
    daemon = payalert_daemon.start(sources=source(server))
    daemon.wait_for(lambda: server.requests_to(DEPOSITS))
    server.script(DEPOSITS, Fault.rate_limited(retry_after=30))
    daemon.wait_for(lambda: any(r.status == 429 for r in server.requests_to(DEPOSITS)))
    assert requests_during(server, DEPOSITS, QUIET_SECONDS) == 0
    health = daemon.wait_for(
        lambda: daemon.health().json()["sources"]["bn"].get("retry_at") and daemon.health()
    )
    entry = health.json()["sources"]["bn"]
    assert "HTTP 429" in entry["last_error"] and "waiting 30s" in entry["last_error"]
    assert "next try in 30" in daemon.output()


def test_ban_418_pauses_long_and_shows_in_health(payalert_daemon, binance_server):
    server = binance_server
    daemon = payalert_daemon.start(sources=source(server))
    daemon.wait_for(lambda: server.requests_to(DEPOSITS))
    server.script(DEPOSITS, Fault.banned(retry_after=600))
    daemon.wait_for(lambda: any(r.status == 418 for r in server.requests_to(DEPOSITS)))
    assert requests_during(server, DEPOSITS, QUIET_SECONDS) == 0
    response = daemon.wait_for(lambda: (r := daemon.health()).status == 503 and r)
    entry = response.json()["sources"]["bn"]
    assert "banned this IP" in entry["last_error"] and "HTTP 418" in entry["problem"]
    assert entry["retry_at"] and "next try in 600" in daemon.output()


@pytest.mark.parametrize(
    ("fault", "code", "advice"),
    [
        (Fault.rejected_key(), "-2015", "Enable Reading"),
        (Fault.bad_key_format(), "-2014", "copy api_key again"),
    ],
)
def test_rejected_key_is_explained_without_a_crash_loop(payalert_daemon, binance_server, fault, code, advice):
    server = binance_server
    server.fail_always("*", fault)
    daemon = payalert_daemon.start(sources=source(server))
    response = daemon.wait_for(lambda: (r := daemon.health()).status == 503 and r)
    entry = response.json()["sources"]["bn"]
    assert code in entry["last_error"] and advice in entry["last_error"]
    assert f"Binance rejected the API key ({code}" in daemon.output()
    assert requests_during(server, DEPOSITS, QUIET_SECONDS) == 0
    assert daemon.process.poll() is None  # still running, backing off
    # Fixing the key (here: the server accepting it again) is picked up at the next attempt.
    server.fail_always("*", None)


def test_region_block_is_explained(payalert_daemon, binance_server):
    server = binance_server
    server.fail_always("*", Fault.region_blocked())
    daemon = payalert_daemon.start(sources=source(server))
    response = daemon.wait_for(lambda: (r := daemon.health()).status == 503 and r)
    assert "HTTP 451" in response.json()["sources"]["bn"]["problem"]
    assert "refuses service from this server's location" in daemon.output()
    assert requests_during(server, RESTRICTIONS, QUIET_SECONDS) == 0


@pytest.mark.parametrize("fault", [Fault.server_error(502), Fault.error(-1001, status=503), Fault.slow(4)])
def test_server_errors_and_timeouts_are_retried_at_the_next_poll(payalert_daemon, binance_server, fault):
    server = binance_server
    daemon = payalert_daemon.start(sources=source(server, backfill="1h", request_timeout="1s"))
    daemon.wait_for(lambda: server.requests_to(DEPOSITS))
    server.add_deposits(deposit_record("after-error", insert_time=server.now_ms() - 1000))
    server.script(DEPOSITS, fault)
    (alert,) = daemon.wait_for_alerts(1, timeout=30)
    assert alert.payment.external_id == "deposit:after-error"
    assert "poll failed (Binance" in daemon.output()


def test_the_secret_and_signatures_never_reach_the_output(payalert_daemon, binance_server):
    server = binance_server
    secret = server.api_secret
    server.script(
        "*",
        Fault.server_error(502),
        Fault.slow(3),
        Fault.clock_skew(),
        Fault.error(-1102, status=400),
        Fault.rate_limited(retry_after=1),
    )
    daemon = payalert_daemon.start(
        sources={"bn": server.source_config(backfill="1h", request_timeout="1s", pay={"outgoing": True})},
        settings={"log_level": "DEBUG"},
    )
    daemon.wait_for(lambda: len(server.requests_to(PAY)) >= 3, timeout=30)
    checked = daemon.cli("check-config")
    texts = [daemon.output(), checked.stdout, checked.stderr, daemon.health().body.decode(), daemon.metrics()]
    for text in texts:
        assert secret not in text
        assert "signature=" not in text
    assert "poll failed" in daemon.output()  # the errors did happen and were logged


def test_a_firewall_403_pauses_polling_and_is_a_health_problem(payalert_daemon, binance_server):
    server = binance_server
    daemon = payalert_daemon.start(sources=source(server))
    daemon.wait_for(lambda: server.requests_to(DEPOSITS))
    server.script(DEPOSITS, Fault.waf_blocked(retry_after=30))
    daemon.wait_for(lambda: any(r.status == 403 for r in server.requests_to(DEPOSITS)))
    assert requests_during(server, DEPOSITS, QUIET_SECONDS) == 0
    response = daemon.wait_for(lambda: (r := daemon.health()).status == 503 and r)
    entry = response.json()["sources"]["bn"]
    assert "HTTP 403" in entry["problem"] and entry["retry_at"]
    assert "next try in 30" in daemon.output()


def test_sigterm_during_a_poll_ends_quietly(payalert_daemon, binance_server):
    server = binance_server
    server.fail_always(DEPOSITS, Fault.slow(30))  # every deposit read is in flight when the signal comes
    daemon = payalert_daemon.start(
        sources=source(server, request_timeout="60s"), settings={"server": {"shutdown_grace": "1s"}}
    )
    daemon.wait_for(lambda: server.requests_to(DEPOSITS))
    assert daemon.stop() == 0
    output = daemon.output()
    assert output.count("poll interrupted by shutdown") == 1
    assert "Traceback" not in output and "CancelledError" not in output
    assert " ERROR " not in output and "raised an exception" not in output
