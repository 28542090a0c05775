"""The plugin is found only through its ``payalert`` entry point."""

from __future__ import annotations

import subprocess
from importlib.metadata import entry_points

import yaml
from payalert_testing import run_python


def payalert(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_python("-m", "payalert_core", *args, env=env)


def test_entry_point_is_declared():
    (entry,) = [ep for ep in entry_points(group="payalert") if ep.name == "binance"]
    assert entry.value == "payalert_binance.plugin" and entry.dist.name == "payalert-binance"


def test_plugins_lists_binance_with_its_package():
    result = payalert("plugins")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("binance"))
    assert "payalert-binance" in line
    assert "binance" in next(line for line in result.stdout.splitlines() if line.startswith("source types"))


def test_disabled_plugin_is_absent_and_its_config_fails_clearly(tmp_path):
    config = {
        "data_dir": str(tmp_path / "data"),
        "sources": {"bn": {"type": "binance", "api_key": "k" * 16, "api_secret": "s" * 16}},
        "notifiers": {"console": {"type": "console"}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {"PAYALERT_DISABLED_PLUGINS": "binance"}
    listed = payalert("plugins", env=env)
    assert listed.returncode == 0 and "payalert-binance" not in listed.stdout
    checked = payalert("--config", str(tmp_path / "config.yaml"), "check-config", env=env)
    assert checked.returncode == 2
    assert "sources.bn.type: unknown source type 'binance'" in checked.stderr
    assert "Traceback" not in checked.stderr
    enabled = payalert("--config", str(tmp_path / "config.yaml"), "check-config")
    assert enabled.returncode == 0, enabled.stderr
    assert "s" * 16 not in enabled.stdout + enabled.stderr
