"""The built-in ``telegram`` notifier, registered through the same hook as third-party notifiers.

This module stays light: python-telegram-bot (about 170 ms and 10 MiB at start-up) is imported by
:mod:`.telegram_bot` only when a ``type: telegram`` entry is configured.
"""

from __future__ import annotations

from typing import Any

from .. import Notifier, NotifierRuntime, hookimpl
from .telegram_config import TelegramConfig


class TelegramNotifier(Notifier):
    """Posts each payment to Telegram chats, groups, channels and topics (see ``docs/telegram.md``)."""

    type_name = "telegram"
    Config = TelegramConfig

    @classmethod
    def create(cls, name: str, config: Any, runtime: NotifierRuntime) -> Notifier:
        """The python-telegram-bot implementation, imported now that it is needed."""
        from .telegram_bot import TelegramBotNotifier

        return TelegramBotNotifier(name, config, runtime)


@hookimpl
def payalert_register_notifiers(register: Any) -> None:
    register(TelegramNotifier)


__all__ = ["TelegramConfig", "TelegramNotifier", "payalert_register_notifiers"]
