import json
import os
import socket
import subprocess
import sys

import pytest
import yaml

from .webhook_client import SECRET, signed_post, webhook_source


def payalert(*args, cwd, env=None):
    return subprocess.run(
        [sys.executable, "-m", "payalert_core", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


def write_config(tmp_path, document):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document) if isinstance(document, dict) else document)
    return path


def base_config(tmp_path, **overrides):
    document = {
        "data_dir": str(tmp_path / "data"),
        "server": {"host": "127.0.0.1", "port": 0},
        "sources": {"shop": webhook_source()},
        "notifiers": {"out": {"type": "console"}},
    }
    document.update(overrides)
    return document


def assert_clear_error(result, *fragments):
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("document", "fragments"),
    [
        ("sources: [unclosed\n", ["not valid YAML at line 2"]),
        (
            {
                "sources": {"shop": {"type": "webhook", "secret": "${UNSET_FOR_TEST}"}},
                "notifiers": {"o": {"type": "console"}},
            },
            ["sources.shop.secret", "UNSET_FOR_TEST is not set"],
        ),
        (
            {"server": {"port": "eighty"}, "notifiers": {"o": {"type": "console"}}},
            ["server.port: must be a valid integer"],
        ),
        ({"srouces": {}, "notifiers": {"o": {"type": "console"}}}, ["srouces: unknown key"]),
        (
            {"sources": {"x": {"type": "stripe"}}, "notifiers": {"o": {"type": "console"}}},
            ["sources.x.type: unknown source type 'stripe'", "pip install payalert-stripe"],
        ),
        (
            {
                "sources": {"x": {"type": "webhook", "secret": "abcdefgh", "min_amount": {"INR": -1}}},
                "notifiers": {"o": {"type": "console"}},
            },
            ["sources.x.min_amount"],
        ),
    ],
)
def test_bad_config_gives_one_clear_message_and_exit_2(tmp_path, document, fragments):
    write_config(tmp_path, document)
    for command in ("check-config", "run"):
        assert_clear_error(payalert(command, cwd=tmp_path), *fragments)


def test_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        write_config(tmp_path, base_config(tmp_path, server={"host": "127.0.0.1", "port": port}))
        assert_clear_error(payalert("run", cwd=tmp_path), f"server.port: {port} is already in use")


def test_unwritable_data_dir(tmp_path):
    (tmp_path / "file").write_text("a file where a folder should be")
    write_config(tmp_path, base_config(tmp_path, data_dir=str(tmp_path / "file" / "data")))
    # The data directory is taken (locked) before the database is opened: the folder is named.
    assert_clear_error(
        payalert("run", cwd=tmp_path),
        f"data_dir: cannot use {tmp_path / 'file' / 'data'} (Not a directory)",
        "point data_dir at a writable folder",
    )


def test_usage_errors_exit_2(tmp_path):
    result = payalert("no-such-command", cwd=tmp_path)
    assert result.returncode == 2 and "No such command" in result.stderr


def test_init_writes_a_config_that_checks_and_keeps_the_secret_out_of_output(tmp_path):
    result = payalert("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    env = (tmp_path / ".env").read_text()
    secret = env.split("PAYALERT_WEBHOOK_SECRET=")[1].strip()
    assert len(secret) >= 32 and secret not in result.stdout
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0
    checked = payalert("check-config", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "source my-shop: webhook" in checked.stdout and secret not in checked.stdout
    assert_clear_error(payalert("init", cwd=tmp_path), "exists already")


def test_check_config_lists_without_secrets(tmp_path):
    write_config(tmp_path, base_config(tmp_path))
    result = payalert("--config", "config.yaml", "check-config", cwd=tmp_path)
    assert result.returncode == 0 and "source shop: webhook" in result.stdout
    assert SECRET not in result.stdout + result.stderr


def test_plugins_lists_builtins(tmp_path):
    result = payalert("plugins", "--json", cwd=tmp_path)
    document = json.loads(result.stdout)
    assert {"console", "telegram"} <= set(document["notifiers"])
    assert "webhook" in document["sources"]


def test_deliveries_and_retry_failed(payalert_daemon):
    daemon = payalert_daemon.start(sources={"shop": webhook_source()}, recorder={"fail_kinds": ["doomed"]})
    signed_post(
        daemon, "shop", {"id": "1", "amount": "1", "currency": "USD", "kind": "doomed", "title": "Doomed"}
    )
    daemon.wait_for(lambda: daemon.health().json()["deliveries"]["failed"] == 1)
    listing = daemon.cli("deliveries", "--status", "failed")
    assert (
        "failed" in listing.stdout and "Doomed" in listing.stdout and "refuses kind doomed" in listing.stdout
    )
    daemon.stop()
    # A config change lets the delivery succeed; retry-failed queues it again and the daemon sends it.
    config = yaml.safe_load(daemon.config_path.read_text())
    config["notifiers"]["recorder"]["fail_kinds"] = []
    daemon.config_path.write_text(yaml.safe_dump(config))
    assert "1 failed deliveries queued again" in daemon.cli("retry-failed").stdout
    daemon.start()
    (alert,) = daemon.wait_for_alerts(1)
    assert alert.payment.title == "Doomed"
    assert "nothing pending or failed" in daemon.cli("deliveries").stdout


def test_test_notify_sends_through_every_notifier(tmp_path):
    record = tmp_path / "recorded.jsonl"
    document = base_config(
        tmp_path, notifiers={"rec": {"type": "recorder", "path": str(record)}, "out": {"type": "console"}}
    )
    write_config(tmp_path, document)
    env = {**os.environ, "PAYALERT_EXTRA_PLUGINS": "payalert_core.testing.recorder"}
    result = payalert("test-notify", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "rec -> default: sent" in result.stdout and "Test alert" in result.stdout
    assert "Test alert" in record.read_text()
