"""Fixtures for payalert-sms's tests: a real daemon with an sms source."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sms_testkit import SIGNING_KEY, SOURCE

from payalert_core.testing import DaemonFactory, DaemonProcess


@pytest.fixture
def sms_daemon(payalert_daemon: DaemonFactory) -> Callable[..., DaemonProcess]:
    """Start ``payalert run`` with an sms source ``phone`` (options override its defaults)."""

    def start(recorder: dict[str, Any] | None = None, **options: Any) -> DaemonProcess:
        section = {"type": "sms", "signing_key": SIGNING_KEY, **options}
        return payalert_daemon.start(sources={SOURCE: section}, recorder=recorder)

    return start
