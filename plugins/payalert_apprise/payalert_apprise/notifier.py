"""The ``apprise`` notifier as payalert sees it at start-up: its type name and config, nothing heavy."""

from __future__ import annotations

from typing import Any

from payalert_core import Notifier, NotifierRuntime

from .config import AppriseNotifierConfig


class AppriseNotifier(Notifier):
    """Sends each alert to every configured Apprise URL; each URL is its own ordered delivery lane."""

    type_name = "apprise"
    Config = AppriseNotifierConfig

    @classmethod
    def create(cls, name: str, config: Any, runtime: NotifierRuntime) -> Notifier:
        """The implementation that imports Apprise, loaded now that an entry needs it."""
        from .sender import AppriseSender

        return AppriseSender(name, config, runtime)
