"""Fixtures for payalert-github's tests: a daemon with a github source and a signed-delivery poster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from payalert_testing import DaemonFactory, DaemonProcess, corpus_path
from payalert_testing.github import SECRET, SOURCE, Poster


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: builds a virtualenv; still runs by default (and in CI)")


@pytest.fixture
def start_github(payalert_daemon: DaemonFactory) -> Callable[..., tuple[DaemonProcess, Poster]]:
    """Start a daemon whose ``gh`` source has ``options`` (default: the test secret); return it and a Poster."""

    def start(settings: dict[str, Any] | None = None, **options: Any) -> tuple[DaemonProcess, Poster]:
        section = {"type": "github", "secret": SECRET, **options}
        section = {key: value for key, value in section.items() if value is not None}
        daemon = payalert_daemon.start(sources={SOURCE: section}, settings=settings)
        return daemon, Poster(daemon, secret=section.get("secret"))

    return start


@pytest.fixture
def corpus_github() -> Path:
    """The github folder of the shared corpus (skips or fails like corpus_path)."""
    return corpus_path("github")
