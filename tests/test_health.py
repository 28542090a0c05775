"""The /health document: problem kinds for anyone, details for the token holder; the token's config."""

import time

import pytest

from payalert_core import ConfigError
from payalert_core.config import load_config
from payalert_core.health import HealthRecord, health_document, public_health
from payalert_core.plugins import get_plugin_manager

WRITABLE = {"writable": True, "problem": None, "since": None}
CONFIG = """
health:
  token: {token}
notifiers:
  out: {{type: console}}
"""


def test_problem_kinds_name_no_component_and_no_error():
    stale = HealthRecord("polled", stale_after=1)
    stale.started_at = time.time() - 10
    failing = HealthRecord("notifier", failing_is_unhealthy=True)
    failing.failed("Forbidden: bot was blocked by chat 5551234")
    down = HealthRecord("stream")
    down.set_connected(False)
    code, body = health_document(
        {"hdfc_mail": down, "binance": stale},
        {"tg": failing},
        {"tg": {"pending": 3, "failed": 0}},
        {"writable": False, "problem": "the database refuses writes: full", "since": "now"},
    )
    assert code == 503
    assert body["problems"] == ["notifier_failing", "source_disconnected", "source_stale", "store_unwritable"]
    shown = public_health(body)
    assert shown == {"status": "degraded", "problems": body["problems"]}
    for private in ("hdfc_mail", "binance", "tg", "5551234", "full"):
        assert private not in str(shown)


def test_a_healthy_daemon_has_no_problems():
    code, body = health_document({"shop": HealthRecord("push")}, {}, {}, WRITABLE)
    assert (code, public_health(body)) == (200, {"status": "ok", "problems": []})


def test_the_token_is_a_secret_of_at_least_16_characters(tmp_path):
    plugins = get_plugin_manager()
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(token="short-token"))
    with pytest.raises(ConfigError) as refused:
        load_config(path, plugins)
    (where, message), *_ = refused.value.problems
    assert where == "health.token" and "at least 16 characters" in message and "short-token" not in message

    path.write_text(CONFIG.format(token="${HEALTH_TOKEN:-}"))
    with pytest.raises(ConfigError, match=r"health\.token"):
        load_config(path, plugins)

    path.write_text(CONFIG.format(token="a-long-enough-health-token"))
    config = load_config(path, plugins)
    assert "a-long-enough-health-token" in config.secrets  # redacted from every log line
    assert config.settings.health.protect_metrics is True
