"""Pytest fixtures and helpers for testing payalert and its plugins against a real daemon.

Registered as a pytest plugin (``pytest11`` entry point), so plugin authors get the fixtures by
installing ``payalert-core``: ``payalert_daemon`` (start ``payalert run`` on a free loopback port
with a temporary data dir and a recording notifier), ``dovecot_server`` (a private Dovecot on
loopback), ``telegram_api`` (a local server behaving like the Telegram Bot API) and ``corpus_dir``;
``LoopbackServer`` is the base of such local stand-ins for the services a plugin talks to.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .daemon import DaemonFactory, DaemonProcess, free_port, run_python
from .dovecot import DovecotFactory, DovecotServer, dovecot_server
from .loopback import LoopbackServer
from .memory import MemoryNotifierRuntime, MemorySourceRuntime, RecordingHealth
from .recorder import RecordedAlert
from .telegram_api import TelegramAPI, telegram_api

__all__ = [
    "DaemonFactory",
    "DaemonProcess",
    "DovecotFactory",
    "DovecotServer",
    "LoopbackServer",
    "MemoryNotifierRuntime",
    "MemorySourceRuntime",
    "RecordedAlert",
    "RecordingHealth",
    "TelegramAPI",
    "corpus_path",
    "dovecot_server",
    "free_port",
    "run_python",
    "telegram_api",
]

CORPUS_ENV = "PAYALERT_CORPUS"
REQUIRE_CORPUS_ENV = "PAYALERT_REQUIRE_CORPUS"


def corpus_path(*parts: str) -> Path:
    """A path in the shared real-world corpus (``$PAYALERT_CORPUS`` or ``../shared/corpus``).

    Skips the calling test when the corpus is absent, or fails it when
    ``PAYALERT_REQUIRE_CORPUS=1`` (as in CI): a missing corpus is never a silent pass.
    """
    root = os.environ.get(CORPUS_ENV)
    candidates = [Path(root)] if root else []
    here = Path(__file__).resolve()
    candidates += [parent / "shared" / "corpus" for parent in here.parents]
    candidates += [Path.cwd().parent / "shared" / "corpus"]
    for candidate in candidates:
        if (candidate / "README.md").is_file():
            return candidate.joinpath(*parts)
    message = f"the real-world corpus was not found (set {CORPUS_ENV} or clone beside ../shared/corpus)"
    if os.environ.get(REQUIRE_CORPUS_ENV) == "1":
        pytest.fail(message)
    # Allowed at module level: a module that reads the corpus while collecting is skipped whole,
    # with this reason, instead of stopping the collection of every other test.
    pytest.skip(message, allow_module_level=True)


@pytest.fixture
def corpus_dir() -> Path:
    """The shared corpus folder (skip or fail as :func:`corpus_path` says)."""
    return corpus_path()


@pytest.fixture
def payalert_daemon(tmp_path: Path) -> Iterator[DaemonFactory]:
    """A factory starting real ``payalert run`` subprocesses; all are killed at teardown."""
    factory = DaemonFactory(tmp_path)
    yield factory
    factory.stop_all()
