"""The hooks payalert finds through the ``payalert`` entry point ``apprise``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payalert_core import hookimpl

from .notifier import AppriseNotifier


@hookimpl
def payalert_register_notifiers(register: Callable[[type[Any]], None]) -> None:
    """Register the ``type: apprise`` notifier."""
    register(AppriseNotifier)
