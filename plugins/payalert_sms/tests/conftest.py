"""Fixtures for payalert-sms's tests: a real daemon with an sms source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from payalert_testing import DaemonFactory, DaemonProcess
from payalert_testing.sms import SIGNING_KEY, SOURCE


@pytest.fixture
def sms_daemon(payalert_daemon: DaemonFactory) -> Callable[..., DaemonProcess]:
    """Start ``payalert run`` with an sms source ``phone`` (options override its defaults)."""

    def start(recorder: dict[str, Any] | None = None, **options: Any) -> DaemonProcess:
        section = {"type": "sms", "signing_key": SIGNING_KEY, **options}
        return payalert_daemon.start(sources={SOURCE: section}, recorder=recorder)

    return start
