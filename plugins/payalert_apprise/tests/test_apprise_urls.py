"""Naming a URL without its secrets, and scrubbing its secrets from Apprise's lines."""

from __future__ import annotations

import logging

import pytest
from payalert_apprise.logbridge import REDACTED, SecretScrubber, collecting, install
from payalert_apprise.urls import instantiate, redacted_name, secret_fragments, target_names

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#payments"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (SLACK, "slack://T...2"),
        ("https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "slack://T...2"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord://4...8"),
        ("tgram://123456789:AAbcdefghijklmnopqrstuvwxyz012345/12345", "tgram://1...5"),
        (
            "mailtos://alerts:app-password-1@mail.example.com:465?to=me@example.org",
            "mailtos://mail.example.com:465",
        ),
        ("ntfy://my-secret-topic-42", "ntfys://"),
        ("ntfys://ntfy.example.com/payments", "ntfys://ntfy.example.com"),
        ("matrixs://bot:hunter22@matrix.example.org/#money", "matrixs://matrix.example.org"),
        ("json://127.0.0.1:8080/hooks/T0K3N", "json://127.0.0.1:8080"),
        ("form://user:pass1234@localhost/x", "form://localhost"),
        ("json://[::1]:8081/a", "json://[::1]:8081"),
        ("pover://userkey@apptoken", "pover://a...n"),
    ],
)
def test_a_url_is_named_by_scheme_and_host_only(url, name):
    service = instantiate(url)
    assert redacted_name(service) == name
    secrets = {
        "T0K3N",
        "hunter22",
        "pass1234",
        "app-password-1",
        "my-secret-topic-42",
        "JHMHI8qBe7bk2ZwO5U711o3dV_js",
    }
    assert not any(secret in name for secret in secrets)


def test_repeated_names_are_numbered_in_order():
    services = [instantiate(u) for u in ("ntfy://topic-one", "json://127.0.0.1:9/a", "ntfy://topic-two")]
    assert target_names(services) == ["ntfys://", "json://127.0.0.1:9", "ntfys://#2"]


def test_fragments_cover_every_part_of_the_url_as_written_and_decoded():
    fragments = secret_fragments(
        "jsons://bot:p%40ssw0rd@hooks.example.com/v1/AbCdEf?token=xyz123&mode=a#frag1"
    )
    assert {"bot", "v1", "mode", "a"}.isdisjoint(fragments)  # too short to scrub without mangling text
    assert {"p%40ssw0rd", "p@ssw0rd", "hooks.example.com", "AbCdEf", "xyz123", "frag1"} <= fragments


def test_scrubber_replaces_standalone_fragments_only():
    scrubber = SecretScrubber()
    scrubber.add(secret_fragments("discord://1234567890/hook/AbCdEfGh"))
    line = "An invalid Discord Webhook Token (AbCdEfGh) for 1234567890/hook was specified"
    assert scrubber.scrub(line) == (
        f"An invalid Discord Webhook Token ({REDACTED}) for {REDACTED}/{REDACTED} was specified"
    )


@pytest.fixture
def untouched_apprise_logger():
    """The ``apprise`` logger as a fresh process has it, whatever earlier tests left on it."""
    logger = logging.getLogger("apprise")
    saved = (logger.handlers[:], logger.filters[:], logger.level, logger.propagate)
    logger.handlers.clear()
    logger.filters.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
    yield logger
    logger.handlers[:], logger.filters[:], level, logger.propagate = saved
    logger.setLevel(level)


@pytest.mark.usefixtures("untouched_apprise_logger")
def test_apprise_lines_are_scrubbed_before_anyone_sees_them(caplog):
    url = "slack://T1JJ3T3L2/bad-second-token-777"
    install(secret_fragments(url))
    caplog.set_level(logging.DEBUG)
    logging.getLogger("payalert.apprise").setLevel(logging.DEBUG)
    try:
        install()  # payalert now logs DEBUG: Apprise's lines are passed on
        with collecting() as lines:
            logging.getLogger("apprise").warning(
                "Could not load Slack URL: %s (token %s)", url, "bad-second-token-777"
            )
    finally:
        logging.getLogger("payalert.apprise").setLevel(logging.NOTSET)
        install()
    assert lines == [f"Could not load Slack URL: {REDACTED} (token {REDACTED})"]
    [record] = [r for r in caplog.records if r.name == "apprise"]
    assert record.levelno == logging.DEBUG and record.getMessage() == lines[0]


@pytest.mark.usefixtures("untouched_apprise_logger")
def test_apprise_lines_stay_out_of_payalert_logs_unless_debug(caplog):
    install()
    caplog.set_level(logging.INFO)
    logging.getLogger("apprise").error("Failed to send: error=500.")
    assert not [r for r in caplog.records if r.name == "apprise"]
