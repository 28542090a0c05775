"""SIGHUP: the config file is read again without losing pending deliveries; a bad one is refused."""

import copy
import socket
from collections import Counter

from .webhook_client import signed_post, webhook_source


def _wait_for_log(daemon, text, occurrences=1):
    daemon.wait_for(lambda: daemon.output().count(text) >= occurrences, timeout=20)


def test_reload_applies_a_new_source_and_delivers_everything_pending(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()}, recorder={"delay": "0.1s"})
    sent = [f"p{number}" for number in range(20)]
    for key in sent:
        assert signed_post(daemon, "shop", {"id": key, "amount": "2", "currency": "EUR"}).status == 202
    assert len(daemon.alerts()) < len(sent)  # most are still waiting for the slow notifier

    config = copy.deepcopy(daemon.config)
    config["sources"]["till"] = webhook_source()
    config["notifiers"]["recorder"]["delay"] = "0s"
    daemon.reload(config)
    _wait_for_log(daemon, "config reloaded")

    answer = signed_post(daemon, "till", {"id": "t1", "amount": "3", "currency": "EUR"})
    assert answer.status == 202
    daemon.wait_for_alerts(len(sent) + 1, timeout=30)
    counts = Counter(alert.payment.external_id for alert in daemon.alerts())
    assert set(counts) == {*sent, "t1"}
    assert max(counts.values()) == 1
    shop_order = [a.payment.external_id for a in daemon.alerts() if a.payment.source == "shop"]
    assert shop_order == sent
    assert daemon.health().status == 200


def test_reload_removes_a_source_route(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source(), "till": webhook_source()})
    config = copy.deepcopy(daemon.config)
    del config["sources"]["till"]
    daemon.reload(config)
    _wait_for_log(daemon, "config reloaded")
    assert signed_post(daemon, "till", {"id": "x", "amount": "1", "currency": "EUR"}).status == 404
    assert signed_post(daemon, "shop", {"id": "y", "amount": "1", "currency": "EUR"}).status == 202
    assert [a.payment.external_id for a in daemon.wait_for_alerts(1)] == ["y"]


def test_a_bad_config_is_refused_and_the_running_one_kept(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()})
    config = copy.deepcopy(daemon.config)
    config["sources"]["shop"]["secert"] = "typo"
    daemon.reload(config)
    _wait_for_log(daemon, "config reload refused")
    assert "sources.shop.secert" in daemon.output()

    daemon.config_path.write_text("sources: [unclosed\n", encoding="utf-8")
    daemon.reload()
    _wait_for_log(daemon, "config reload refused", occurrences=2)
    assert "not valid YAML" in daemon.output()

    assert signed_post(daemon, "shop", {"id": "z", "amount": "1", "currency": "EUR"}).status == 202
    assert [a.payment.external_id for a in daemon.wait_for_alerts(1)] == ["z"]
    assert daemon.process.poll() is None
    assert "config reloaded" not in daemon.output()


def test_moving_the_data_dir_is_refused(payalert_daemon, tmp_path):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()})
    config = copy.deepcopy(daemon.config)
    config["data_dir"] = str(tmp_path / "elsewhere")
    daemon.reload(config)
    _wait_for_log(daemon, "data_dir cannot change")
    assert signed_post(daemon, "shop", {"id": "d", "amount": "1", "currency": "EUR"}).status == 202
    daemon.wait_for_alerts(1)


def test_a_config_that_cannot_start_is_undone(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = copy.deepcopy(daemon.config)
        config["server"]["port"] = taken.getsockname()[1]
        daemon.reload(config)
        _wait_for_log(daemon, "going back to the previous one")
    assert "already in use" in daemon.output()
    daemon.wait_ready()
    assert signed_post(daemon, "shop", {"id": "u", "amount": "1", "currency": "EUR"}).status == 202
    daemon.wait_for_alerts(1)
