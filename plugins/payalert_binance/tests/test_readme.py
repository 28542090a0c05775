"""The README documents every option, and its example config is valid."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from payalert_binance.config import BinanceConfig, DepositsConfig, P2PConfig, PayConfig

from payalert_core import PolledSourceConfig

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_option_is_documented():
    inherited = set(PolledSourceConfig.model_fields) - {"interval"}
    missing = [
        name for name in BinanceConfig.model_fields if name not in inherited and f"| `{name}` |" not in README
    ]
    assert not missing, f"README.md does not describe {missing}"
    for model in (DepositsConfig, P2PConfig, PayConfig):
        assert all(f"`{name}`" in README or f"{name}:" in README for name in model.model_fields)


def test_example_config_is_valid():
    block = re.search(r"```yaml\n(.*?)```", README, re.S).group(1)
    section = yaml.safe_load(block)["sources"]["binance"]
    section.update(api_key="k" * 20, api_secret="s" * 20)
    config = BinanceConfig.model_validate(section)
    assert config.require_read_only and config.deposits.pending and config.pay.outgoing
