"""Fixtures: the HTTP receiver on 127.0.0.1 and notifiers built from config sections in-process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from payalert_apprise import AppriseNotifier, AppriseNotifierConfig
from payalert_testing import MemoryNotifierRuntime
from payalert_testing.apprise import Receiver


def pytest_configure(config: pytest.Config) -> None:
    # Apprise imports the standard library's imghdr, deprecated since Python 3.11: not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:'imghdr' is deprecated:DeprecationWarning")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver; stopped (held requests released) at teardown."""
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_notifier() -> Callable[..., Any]:
    """Build the notifier the daemon would, from config keys (``type`` is added)."""

    def make(**section: Any) -> Any:
        config = AppriseNotifierConfig.model_validate({"type": "apprise", **section})
        return AppriseNotifier.create("ap", config, MemoryNotifierRuntime())

    return make
