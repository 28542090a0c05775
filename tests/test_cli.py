import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys

import pytest
import yaml

from payalert_core.store import Lane, SQLiteStore

from .helpers import payment
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
                "sources": {"x": {"type": "webhook", "secret": "a" * 16, "min_amount": {"INR": -1}}},
                "notifiers": {"o": {"type": "console"}},
            },
            ["sources.x.min_amount"],
        ),
        (  # an empty key would let anyone sign payments
            {"sources": {"shop": {"type": "webhook", "secret": ""}}, "notifiers": {"o": {"type": "console"}}},
            ["sources.shop.secret: must be at least 16 characters; `payalert init` makes a strong one"],
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
    delivery_id = json.loads(daemon.cli("deliveries", "--json").stdout)[0]["id"]
    retried = daemon.cli("retry-failed", str(delivery_id), str(delivery_id), "4242")
    assert "1 failed deliveries queued again" in retried.stdout
    assert retried.returncode == 2 and "no failed delivery #4242;" in retried.stderr
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
    env = {**os.environ, "PAYALERT_EXTRA_PLUGINS": "payalert_testing.recorder"}
    result = payalert("test-notify", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "rec -> default: sent" in result.stdout and "Test alert" in result.stdout
    assert "Test alert" in record.read_text()


def test_read_commands_open_the_store_read_only(tmp_path):
    write_config(tmp_path, base_config(tmp_path))
    listing = payalert("deliveries", cwd=tmp_path)
    assert listing.returncode == 0 and "nothing pending or failed" in listing.stdout
    assert not (tmp_path / "data").exists()  # a read creates nothing, not even the folder

    data = tmp_path / "data"
    asyncio.run(_store_with_a_failed_delivery(data / "payalert.sqlite3"))
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(data.iterdir())}
    holder = sqlite3.connect(data / "payalert.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing: a read must neither wait nor fail
    try:
        listing = payalert("deliveries", "--json", cwd=tmp_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert listing.returncode == 0, listing.stderr
    assert [(d["id"], d["status"], d["last_error"]) for d in json.loads(listing.stdout)] == [
        (1, "failed", "chat not found")
    ]
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(data.iterdir())} == before


async def _store_with_a_failed_delivery(path):
    store = SQLiteStore(path)
    await store.open()
    await store.ingest([payment("a")], [Lane("out", "default")], {})
    (delivery,) = await store.pending(Lane("out", "default"))
    await store.mark_failed(delivery.id, "chat not found")
    await store.close()


SECRET_VALUE = "Sup3rS3cretValue-987"


@pytest.mark.parametrize("marked_secret", [True, False], ids=["also-a-secret-field", "only-in-host"])
def test_a_variable_in_server_host_is_named_never_echoed(tmp_path, marked_secret):
    """A ${VAR} holding a secret, put where the address goes: errors and listings name the variable."""
    (tmp_path / ".env").write_text(f"PAYALERT_TEST_VALUE={SECRET_VALUE}\n")
    shop = webhook_source(secret="${PAYALERT_TEST_VALUE}") if marked_secret else webhook_source()
    write_config(
        tmp_path,
        base_config(tmp_path, server={"host": "${PAYALERT_TEST_VALUE}", "port": 0}, sources={"shop": shop}),
    )
    checked = payalert("check-config", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "listening on ${PAYALERT_TEST_VALUE}:0" in checked.stdout
    ran = payalert("run", cwd=tmp_path)
    assert_clear_error(ran, "server: cannot listen on ${PAYALERT_TEST_VALUE}:0")
    for result in (checked, ran):
        assert SECRET_VALUE not in result.stdout + result.stderr


def test_test_notify_failures_name_the_variable_not_its_value(tmp_path):
    (tmp_path / ".env").write_text(f"PAYALERT_TEST_VALUE={SECRET_VALUE}\n")
    record = "${PAYALERT_TEST_VALUE}/no-such-folder/recorded.jsonl"
    document = base_config(tmp_path, notifiers={"rec": {"type": "recorder", "path": record}})
    write_config(tmp_path, document)
    env = {**os.environ, "PAYALERT_EXTRA_PLUGINS": "payalert_testing.recorder"}
    result = payalert("test-notify", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert (
        "rec -> default: FAILED" in result.stderr and "${PAYALERT_TEST_VALUE}/no-such-folder" in result.stderr
    )
    assert SECRET_VALUE not in result.stdout + result.stderr


CRASHING_PLUGIN = """
import click
from payalert_core import CliContext, hookimpl


@hookimpl
def payalert_register_commands(cli):
    @cli.command()
    @click.pass_obj
    def crash(state: CliContext) -> None:
        raise RuntimeError(f"a bug while using {state.config.settings.server.host}")
"""


def test_a_bugs_traceback_names_the_variable_not_its_value(tmp_path):
    """Bugs get tracebacks, but even those never show a value from the config's environment."""
    (tmp_path / "crashing_command.py").write_text(CRASHING_PLUGIN)
    (tmp_path / ".env").write_text(f"PAYALERT_TEST_VALUE={SECRET_VALUE}\n")
    write_config(tmp_path, base_config(tmp_path, server={"host": "${PAYALERT_TEST_VALUE}", "port": 0}))
    env = {**os.environ, "PAYALERT_EXTRA_PLUGINS": "crashing_command", "PYTHONPATH": str(tmp_path)}
    result = payalert("crash", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert (
        "Traceback" in result.stderr
        and "RuntimeError: a bug while using ${PAYALERT_TEST_VALUE}" in result.stderr
    )
    assert SECRET_VALUE not in result.stdout + result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_init_with_a_config_path_suggests_the_exact_next_commands(tmp_path, where):
    option = ["--config", "my setup/payalert.yaml"]
    args = [*option, "init"] if where == "before" else ["init", *option]
    result = payalert(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "`payalert check-config --config 'my setup/payalert.yaml'`" in result.stdout
    assert "`payalert run --config 'my setup/payalert.yaml'`" in result.stdout
    checked = payalert("check-config", "--config", "my setup/payalert.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_init_without_a_path_suggests_the_plain_commands(tmp_path):
    result = payalert("init", cwd=tmp_path)
    assert "`payalert check-config`" in result.stdout and "`payalert run`" in result.stdout


def test_retry_failed_names_ids_that_are_not_failed_deliveries(tmp_path):
    write_config(tmp_path, base_config(tmp_path))
    result = payalert("retry-failed", "42", "43", cwd=tmp_path)
    assert_clear_error(result, "no failed delivery #42, #43", "payalert deliveries --status failed")
    assert "0 failed deliveries queued again" in result.stdout
    everything = payalert("retry-failed", cwd=tmp_path)  # no ids: all failed ones, however many
    assert everything.returncode == 0 and "0 failed deliveries queued again" in everything.stdout
