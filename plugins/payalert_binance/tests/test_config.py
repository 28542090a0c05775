"""Config validation: defaults, shorthands and one-line errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from payalert_binance.config import BinanceConfig
from payalert_testing import run_python
from pydantic import ValidationError

BASE = {"type": "binance", "api_key": "key-123456", "api_secret": "secret-123456"}


def test_defaults():
    config = BinanceConfig.model_validate(BASE)
    assert config.deposits.enabled and not config.deposits.pending
    assert config.p2p.statuses == ["COMPLETED"] and config.p2p.trade_types == ["BUY", "SELL"]
    assert config.pay.incoming and not config.pay.outgoing
    assert config.backfill == timedelta(0) and config.overlap == timedelta(minutes=10)
    assert config.base_url is None and not config.require_read_only
    assert config.deposits.late_window == timedelta(days=89)  # under Binance's 90-day window
    assert config.deposits.late_sweep_interval == timedelta(hours=1)
    assert "secret-123456" not in repr(config)


def test_feed_shorthand_and_durations():
    config = BinanceConfig.model_validate(
        {**BASE, "p2p": False, "pay": {"outgoing": True}, "backfill": "2d", "base_url": "http://127.0.0.1:9/"}
    )
    assert not config.p2p.enabled and config.pay.outgoing
    assert config.backfill == timedelta(days=2)
    assert config.base_url == "http://127.0.0.1:9"


def test_statuses_are_normalised():
    config = BinanceConfig.model_validate({**BASE, "p2p": {"statuses": ["completed", "buyer_payed"]}})
    assert config.p2p.statuses == ["COMPLETED", "BUYER_PAYED"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"p2p": {"statuses": ["DONE"]}}, "unknown order status DONE"),
        ({"p2p": {"trade_types": ["HOLD"]}}, "BUY"),
        ({"deposits": False, "p2p": False, "pay": False}, "every feed is disabled"),
        ({"pay": {"incoming": False}}, "set pay: false instead"),
        ({"recv_window": "2m"}, "between 1ms and 60s"),
        ({"base_url": "127.0.0.1:8080"}, "must start with http://"),
        ({"deposits": {"pendng": True}}, "Extra inputs are not permitted"),
        ({"backfill": "soon"}, "is not a duration"),
        ({"deposits": {"late_window": "a while"}}, "deposits.late_window\n  Value error, is not a duration"),
        (
            {"deposits": {"late_sweep_interval": "0s"}},
            "deposits.late_sweep_interval\n  Value error, must be > 0",
        ),
    ],
)
def test_mistakes_are_reported(changes, message):
    with pytest.raises(ValidationError) as caught:
        BinanceConfig.model_validate({**BASE, **changes})
    assert message in str(caught.value)


def test_keys_are_required():
    with pytest.raises(ValidationError, match="api_secret"):
        BinanceConfig.model_validate({"type": "binance", "api_key": "x"})


def test_check_config_names_a_late_sweep_key_and_what_to_change(tmp_path):
    config = {
        "data_dir": str(tmp_path / "data"),
        "sources": {"bn": {**BASE, "deposits": {"late_window": "-2h", "late_sweep_interval": "0s"}}},
        "notifiers": {"console": {"type": "console"}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    checked = run_python("-m", "payalert_core", "--config", str(tmp_path / "config.yaml"), "check-config")
    assert checked.returncode == 2
    assert "sources.bn.deposits.late_window: is not a duration; write e.g. 30s" in checked.stderr
    assert "sources.bn.deposits.late_sweep_interval: must be > 0; set late_window: 0" in checked.stderr
    assert "Traceback" not in checked.stderr
