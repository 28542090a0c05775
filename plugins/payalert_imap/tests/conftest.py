"""Fixtures for payalert-imap's tests: a Dovecot server plus a daemon watching it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from imap_testkit import SOURCE, wait_state

from payalert_core.testing import DaemonFactory, DaemonProcess, DovecotServer


@pytest.fixture
def watch_mailbox(
    payalert_daemon: DaemonFactory,
) -> Callable[..., DaemonProcess]:
    """Start a daemon with an imap source ``bank`` on ``server``; waits until it watches."""

    def start(server: DovecotServer, wait_for: str | None = "watching", **options: Any) -> DaemonProcess:
        section = server.source_options(authserv_id="mx.google.com", reconnect_max="3s", **options)
        daemon = payalert_daemon.start(sources={SOURCE: section})
        if wait_for:
            wait_state(daemon, wait_for)
        return daemon

    return start
