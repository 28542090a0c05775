"""Fixtures for payalert-imap's tests: a Dovecot server plus a daemon watching it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from payalert_testing import DaemonFactory, DaemonProcess, DovecotServer
from payalert_testing.imap import SOURCE, imap_source, wait_state


@pytest.fixture
def watch_mailbox(
    payalert_daemon: DaemonFactory,
) -> Callable[..., DaemonProcess]:
    """Start a daemon with an imap source ``bank`` on ``server``; waits until it watches."""

    def start(server: DovecotServer, wait_for: str | None = "watching", **options: Any) -> DaemonProcess:
        section = imap_source(server, authserv_id="mx.google.com", reconnect_max="3s", **options)
        daemon = payalert_daemon.start(sources={SOURCE: section})
        if wait_for:
            wait_state(daemon, wait_for)
        return daemon

    return start
