"""End to end: the API key permission check at start-up."""

from __future__ import annotations

from payalert_testing.binance import DEPOSITS, RESTRICTIONS


def test_trading_key_is_reported_loudly_and_alerted_once(payalert_daemon, binance_server):
    server = binance_server
    server.permissions.update(enableWithdrawals=True, enableSpotAndMarginTrading=True)
    daemon = payalert_daemon.start(sources={"bn": server.source_config()})
    (alert,) = daemon.wait_for_alerts(1)
    notice = alert.payment
    assert notice.kind == "binance.key.unsafe" and notice.amount is None
    assert notice.title == "Binance API key is not read-only"
    assert "withdraw" in notice.summary and "trade spot and margin" in notice.summary
    assert server.api_key not in alert.payment.to_json()
    entry = daemon.health().json()["sources"]["bn"]
    assert "can withdraw, trade spot and margin" in entry["api_key_warning"]
    assert "SECURITY WARNING: the Binance API key can withdraw" in daemon.output()
    for restart in range(2):
        seen = len(server.requests_to(RESTRICTIONS))
        daemon.restart()
        daemon.wait_for(lambda seen=seen: len(server.requests_to(RESTRICTIONS)) > seen)
        daemon.wait_for(lambda restart=restart: len(server.requests_to(DEPOSITS)) >= 2 + restart)
    assert [a.payment.kind for a in daemon.alerts()] == ["binance.key.unsafe"]


def test_require_read_only_refuses_to_start(payalert_daemon, binance_server):
    server = binance_server
    server.permissions.update(enableFutures=True)
    daemon = payalert_daemon.start(
        sources={"bn": server.source_config(require_read_only=True)}, wait_healthy=False
    )
    assert daemon.process.wait(timeout=30) == 2
    output = daemon.output()
    assert "payalert: error: sources.bn: the Binance API key can trade futures" in output
    assert "require_read_only is true" in output and "Traceback" not in output
    assert server.requests_to(DEPOSITS) == []


def test_read_only_key_passes_require_read_only(payalert_daemon, binance_server):
    server = binance_server
    daemon = payalert_daemon.start(sources={"bn": server.source_config(require_read_only=True)})
    daemon.wait_for(lambda: server.requests_to(DEPOSITS))
    assert daemon.health().json()["sources"]["bn"]["api_key"] == "read-only"
    assert daemon.alerts() == []
