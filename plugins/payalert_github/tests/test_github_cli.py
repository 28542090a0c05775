"""``payalert github send-test`` against a running daemon."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from payalert_github.cli import ConfiguredSource
from payalert_github.config import GitHubSponsorsConfig
from payalert_testing import free_port
from payalert_testing.github import SECRET, counter


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8080/hooks/gh/"),
        ("0.0.0.0", "http://127.0.0.1:8080/hooks/gh/"),
        ("::", "http://[::1]:8080/hooks/gh/"),
        ("localhost", "http://localhost:8080/hooks/gh/"),
    ],
)
def test_default_url_reaches_the_local_daemon(host: str, url: str) -> None:
    config = GitHubSponsorsConfig.model_validate({"type": "github", "secret": SECRET})
    assert ConfiguredSource("gh", config, host, 8080).webhook_url == url


def test_send_test_posts_a_signed_sample(start_github) -> None:
    daemon, _poster = start_github()
    result = daemon.cli("github", "send-test")
    assert result.returncode == 0, result.stderr
    assert "200 OK" in result.stdout
    assert '"status": "stored"' in result.stdout
    assert f"{daemon.url}/hooks/gh/" in result.stdout
    [alert] = daemon.wait_for_alerts(1)
    assert alert.payment.kind == "github.sponsorship.created"
    assert alert.payment.amount == Decimal("12.34")
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("action", ["cancelled", "pending_tier_change", "ping"])
def test_send_test_actions_as_form(start_github, action: str) -> None:
    daemon, _poster = start_github()
    result = daemon.cli("github", "send-test", "--action", action, "--content-type", "form")
    assert result.returncode == 0, result.stdout + result.stderr
    if action == "ping":
        assert '"status": "pong"' in result.stdout
        assert counter(daemon, "ping") == 1
    else:
        [alert] = daemon.wait_for_alerts(1)
        assert alert.payment.kind == f"github.sponsorship.{action}"


def test_send_test_redelivery(start_github) -> None:
    daemon, _poster = start_github()
    first = daemon.cli("github", "send-test", "--delivery-id", "cli-1")
    second = daemon.cli("github", "send-test", "--delivery-id", "cli-1")
    assert '"status": "stored"' in first.stdout
    assert '"status": "duplicate"' in second.stdout
    assert len(daemon.wait_for_alerts(1)) == 1


def test_send_test_with_another_secret_is_rejected(start_github, tmp_path) -> None:
    daemon, _poster = start_github()
    other = dict(daemon.config)
    other["sources"] = {"gh": {"type": "github", "secret": "a different secret"}}
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(other), encoding="utf-8")
    result = daemon.cli("github", "send-test", "--config", str(path))
    assert result.returncode == 1
    assert "401" in result.stdout
    assert "secret in this config differs" in result.stderr
    assert "a different secret" not in result.stdout + result.stderr
    assert counter(daemon, "signature_rejected") == 1
    assert daemon.alerts() == []


def test_send_test_needs_a_reachable_daemon(start_github) -> None:
    daemon, _poster = start_github()
    url = f"http://127.0.0.1:{free_port()}/hooks/gh/"
    result = daemon.cli("github", "send-test", "--url", url, "--timeout", "5")
    assert result.returncode != 0
    assert f"could not reach {url}" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_send_test_picks_the_source(payalert_daemon) -> None:
    daemon = payalert_daemon.start(
        sources={
            "one": {"type": "github", "secret": SECRET},
            "two": {"type": "github", "secret": "the second source's secret"},
        }
    )
    ambiguous = daemon.cli("github", "send-test")
    assert ambiguous.returncode != 0
    assert "found: one, two" in ambiguous.stderr and "--source" in ambiguous.stderr
    wrong = daemon.cli("github", "send-test", "--source", "three")
    assert "sources.three is not a source with type: github" in wrong.stderr
    chosen = daemon.cli("github", "send-test", "--source", "two")
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    [alert] = daemon.wait_for_alerts(1)
    assert alert.payment.source == "two"
    assert "the second source's secret" not in chosen.stdout + chosen.stderr
