"""Plugin discovery through real installed packages and their entry points."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .webhook_client import signed_post, webhook_source

FIXTURES = Path(__file__).parent / "fixtures" / "plugins"


def install(target: Path, *names: str) -> None:
    """pip-install fixture packages into ``target`` (a folder put on PYTHONPATH)."""
    for name in names:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--target",
                str(target),
                str(FIXTURES / name),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    install(target, "tiny", "broken")
    return target


def payalert(site, *args, **env):
    environment = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run(
        [sys.executable, "-m", "payalert_core", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def test_installed_plugin_is_found_and_a_broken_one_is_reported(site):
    result = payalert(site, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert {"name": "tiny", "package": "payalert-tiny", "version": "0.3.1"} in document["plugins"]
    assert document["notifiers"]["tiny-line"] == "payalert_tiny"
    (error,) = [e for e in document["errors"] if e["plugin"] == "broken"]
    assert error["package"] == "payalert-broken" and "a_module_that_does_not_exist" in error["error"]
    assert "console" in document["notifiers"]  # the others still load


def test_a_plugin_can_declare_hooks_of_its_own(site):
    code = (
        "from payalert_core.plugins import get_plugin_manager\n"
        "manager = get_plugin_manager().manager\n"
        "print(manager.hook.payalert_tiny_prefix())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['']"


def test_disabled_plugins_are_not_loaded(site):
    result = payalert(site, "plugins", "--json", PAYALERT_DISABLED_PLUGINS="tiny, broken,console")
    document = json.loads(result.stdout)
    assert "tiny-line" not in document["notifiers"] and "console" not in document["notifiers"]
    assert document["errors"] == []


def test_misspelt_hook_fails_at_start_up(tmp_path):
    install(tmp_path, "misspelt")
    result = payalert(tmp_path, "plugins")
    assert result.returncode == 2
    assert "payalert_register_sauces" in result.stderr and "Traceback" not in result.stderr


def test_third_party_notifier_and_filter_hook_in_a_running_daemon(site, payalert_daemon, tmp_path):
    lines = tmp_path / "lines.txt"
    daemon = payalert_daemon.start(
        sources={"shop": webhook_source()},
        notifiers={"line": {"type": "tiny-line", "path": str(lines)}},
        env={"PYTHONPATH": str(site)},
    )
    signed_post(daemon, "shop", {"id": "spam", "amount": "1", "currency": "USD", "kind": "test.spam"})
    signed_post(daemon, "shop", {"id": "1", "amount": "7.50", "currency": "USD", "title": "Payment one"})
    signed_post(daemon, "shop", {"id": "2", "amount": "8", "currency": "USD", "title": "Refund"})
    alerts = daemon.wait_for_alerts(2)
    assert [a.payment.title for a in alerts] == ["Tiny says: Payment one", "Refund"]
    daemon.wait_for(lambda: lines.exists() and len(lines.read_text().splitlines()) == 2)
    assert lines.read_text().splitlines()[0] == "1 7.50 USD Tiny says: Payment one"


def test_loading_plugins_does_not_import_python_telegram_bot():
    code = (
        "import sys\n"
        "from payalert_core.plugins import get_plugin_manager\n"
        "plugins = get_plugin_manager()\n"
        "assert 'telegram' in plugins.notifiers\n"
        "print('telegram' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"  # imported only when a telegram notifier is configured
