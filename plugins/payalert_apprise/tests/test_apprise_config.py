"""Config checks: every URL is validated by Apprise when the config loads, without echoing it."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from payalert_apprise import AppriseNotifierConfig
from pydantic import ValidationError

GOOD = "json://127.0.0.1:8080/hooks/T0K3Nsecretpath9"


def problems(**section):
    with pytest.raises(ValidationError) as caught:
        AppriseNotifierConfig.model_validate({"type": "apprise", **section})
    return {
        ".".join(map(str, e["loc"])): e["msg"]
        for e in caught.value.errors(include_url=False, include_input=False)
    }, str(caught.value)


def test_defaults_and_secret_typing():
    config = AppriseNotifierConfig.model_validate({"type": "apprise", "urls": [GOOD]})
    assert (config.format, config.timezone, config.timeout) == ("text", "UTC", timedelta(seconds=30))
    assert config.urls[0].get_secret_value() == GOOD
    assert "T0K3N" not in repr(config) and "T0K3N" not in str(config.model_dump())


@pytest.mark.parametrize(
    ("url", "secret", "expected"),
    [
        ("foo://T0K3Nvalue1234", "T0K3Nvalue1234", "Apprise has no service with the scheme foo://"),
        ("slack://SECRETAAA1/bad", "SECRETAAA1", "Apprise cannot use this slack:// URL (An invalid Slack"),
        ("discord://1234567890123/", "1234567890123", "Apprise cannot use this discord:// URL"),
        ("notaurl-T0K3N", "T0K3N", "not an Apprise URL; write scheme://"),
        ("https://example.com/hook/T0K3N", "T0K3N", "Apprise does not know this https:// URL"),
        ("", None, "empty; write an Apprise URL"),
    ],
)
def test_a_bad_url_names_its_index_and_what_to_change_without_the_secret(url, secret, expected):
    found, text = problems(urls=[GOOD, url])
    assert list(found) == ["urls.1"]
    assert found["urls.1"].startswith(f"Value error, {expected}")
    if secret:
        assert secret not in text


def test_a_service_missing_its_python_package_says_which():
    found, text = problems(urls=["mqtt://user:hunter22@broker.example.com/topic"])
    assert "needs the Python package paho-mqtt" in found["urls.0"] and "pip install" in found["urls.0"]
    assert "hunter22" not in text


def test_repeated_url_empty_list_bad_format_and_timeout():
    found, _ = problems(urls=[GOOD, "ntfy://topic-x", GOOD])
    assert found == {"urls": "Value error, items 0 and 2 are the same URL; remove one"}
    assert "urls" in problems(urls=[])[0]
    found, _ = problems(urls=[GOOD], format="rtf", timeout="0s", timezone="Mars/Base", colour="red")
    assert set(found) == {"format", "timeout", "timezone", "colour"}
    assert found["timeout"] == "Value error, must be > 0"


def payalert(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "payalert_core", *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def write_config(tmp_path: Path, urls: list[str]) -> None:
    config = {"data_dir": "data", "notifiers": {"chat": {"type": "apprise", "urls": urls}}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def test_check_config_reports_each_bad_url_in_one_line(tmp_path):
    write_config(tmp_path, [GOOD, "slack://T0K3Nfirst/T0K3Nsecond", "foo://T0K3Nthird"])
    result = payalert("check-config", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("payalert: error: notifiers.chat.urls.1: Apprise cannot use this slack:// URL")
    assert lines[1].startswith(
        "payalert: error: notifiers.chat.urls.2: Apprise has no service with the scheme"
    )
    assert len(lines) == 2 and "Traceback" not in result.stderr
    assert "T0K3N" not in result.stdout + result.stderr
