"""payalert finds the notifier only through the ``payalert`` entry point, and loads Apprise lazily."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import yaml
from payalert_testing import run_python


def test_entry_point_is_declared():
    (entry,) = [ep for ep in entry_points(group="payalert") if ep.name == "apprise"]
    assert entry.value == "payalert_apprise.plugin" and entry.dist.name == "payalert-apprise"


def test_payalert_plugins_lists_it_without_importing_apprise():
    listed = run_python("-m", "payalert_core", "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    [plugin] = [p for p in document["plugins"] if p["name"] == "apprise"]
    assert plugin["package"] == "payalert-apprise"
    assert document["notifiers"]["apprise"] == "payalert_apprise.notifier"
    # Registering the notifier must not pay for Apprise's import (about half a second).
    probe = run_python("-c", "import sys, payalert_apprise.plugin; print('apprise' in sys.modules)")
    assert probe.stdout.strip() == "False", probe.stderr


def test_disabled_plugin_is_absent_and_its_config_fails_clearly(tmp_path):
    config = {"data_dir": "data", "notifiers": {"chat": {"type": "apprise", "urls": ["ntfy://T0K3Ntopic"]}}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {"PAYALERT_DISABLED_PLUGINS": "apprise"}
    listed = run_python("-m", "payalert_core", "plugins", env=env)
    assert listed.returncode == 0 and "payalert-apprise" not in listed.stdout
    checked = run_python("-m", "payalert_core", "check-config", env=env, cwd=tmp_path)
    assert checked.returncode == 2
    assert "notifiers.chat.type: unknown notifier type 'apprise'" in checked.stderr
    assert "T0K3N" not in checked.stdout + checked.stderr
