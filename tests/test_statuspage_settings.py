"""``status_page:`` in the config, the password hash and ``payalert status-page set-password``."""

import functools
import subprocess
import sys

import pytest
from payalert_testing import run_python

from payalert_core import ConfigError
from payalert_core.config import load_config
from payalert_core.plugins import get_plugin_manager
from payalert_core.statuspage.passwords import (
    PASSWORD_HASH_VARIABLE,
    BadPasswordHash,
    check_hash,
    hash_password,
    password_matches,
)

BASE = """
notifiers:
  out:
    type: console
"""

ENABLED_FROM_DOTENV = "status_page: {enabled: true, password_hash: '${" + PASSWORD_HASH_VARIABLE + "}'}"


@functools.cache
def demo_hash():
    return hash_password("a long password")


@pytest.fixture(scope="module")
def plugins():
    return get_plugin_manager()


def load(tmp_path, plugins, section, env_file=None):
    path = tmp_path / "config.yaml"
    path.write_text(BASE + section)
    if env_file is not None:
        (tmp_path / ".env").write_text(env_file)
    return load_config(path, plugins)


def problems(tmp_path, plugins, section):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, plugins, section)
    return dict(caught.value.problems)


def test_a_hash_matches_its_password_only_and_two_hashes_differ():
    first, second = hash_password("a long password"), hash_password("a long password")
    assert first != second  # salted
    assert password_matches("a long password", first) and password_matches("a long password", second)
    assert not password_matches("a long passwore", first)
    assert ":" in first and not set(first) & set("${} \"'")


@pytest.mark.parametrize(
    "damaged",
    [
        "",
        "plain text",
        "scrypt:15:8:1:c2FsdA:a2V5",
        "scrypt:40:8:1:c2FsdHNhbHQ:" + "A" * 43,
        "scrypt:x:8:1:a:b",
    ],
)
def test_anything_but_a_hash_is_refused(damaged):
    with pytest.raises(BadPasswordHash):
        check_hash(damaged)


def test_the_page_is_off_by_default(tmp_path, plugins):
    assert not load(tmp_path, plugins, "").settings.status_page.enabled


def test_enabled_needs_a_way_in(tmp_path, plugins):
    found = problems(tmp_path, plugins, "status_page: {enabled: true}")
    assert "enabled needs password_hash (run `payalert status-page set-password`)" in found["status_page"]


def test_a_bad_hash_names_its_key_and_is_never_echoed(tmp_path, plugins):
    found = problems(tmp_path, plugins, "status_page: {enabled: true, password_hash: hunter2-typed-here}")
    assert found["status_page.password_hash"].startswith("is not a password hash")
    assert "hunter2" not in str(found)


def test_a_trusted_header_needs_the_proxies_it_comes_from(tmp_path, plugins):
    found = problems(tmp_path, plugins, "status_page: {enabled: true, trusted_header: X-Forwarded-User}")
    assert "trusted_header needs trusted_proxies" in found["status_page"]
    found = problems(
        tmp_path, plugins, "status_page: {trusted_header: 'X User', trusted_proxies: [127.0.0.1/32]}"
    )
    assert "must be a header name" in found["status_page.trusted_header"]
    found = problems(tmp_path, plugins, "status_page: {trusted_proxies: [somewhere]}")
    assert "status_page.trusted_proxies.0" in found


def test_the_hash_is_a_secret_of_the_config(tmp_path, plugins):
    config = load(
        tmp_path,
        plugins,
        ENABLED_FROM_DOTENV,
        env_file=f"{PASSWORD_HASH_VARIABLE}={demo_hash()}\n",
    )
    assert config.settings.status_page.password_hash.get_secret_value() == demo_hash()
    assert demo_hash() not in config.redact(f"an error mentioning {demo_hash()}")


def test_set_password_saves_a_hash_the_config_reads_from_dotenv(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(BASE + ENABLED_FROM_DOTENV + "\n")
    env = tmp_path / ".env"
    env.write_text("PAYALERT_WEBHOOK_SECRET=keep-me\n")
    for password in ("first password", "second password"):
        result = _set_password(config, password)
        assert result.returncode == 0, result.stderr
        assert str(env) in result.stdout and password not in result.stdout + result.stderr
    lines = env.read_text().splitlines()
    assert lines[0] == "PAYALERT_WEBHOOK_SECRET=keep-me"
    (saved,) = [line for line in lines if line.startswith(PASSWORD_HASH_VARIABLE + "=")]
    assert password_matches("second password", saved.split("=", 1)[1])
    assert env.stat().st_mode & 0o077 == 0
    checked = run_python("-m", "payalert_core", "--config", str(config), "check-config", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_set_password_refuses_a_short_password_and_can_print_the_hash(tmp_path):
    config = tmp_path / "config.yaml"
    short = _set_password(config, "short")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    printed = _set_password(config, "long enough password", "--print")
    assert printed.returncode == 0 and password_matches("long enough password", printed.stdout.strip())
    assert not (tmp_path / ".env").exists()


def _set_password(config, password, *options):
    """``payalert status-page set-password`` for ``config``, typing ``password`` on standard input."""
    command = [sys.executable, "-m", "payalert_core", "--config", str(config), "status-page", "set-password"]
    return subprocess.run(
        [*command, "--password-stdin", *options],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=config.parent,
        timeout=60,
    )
