"""The real Telegram notifier as the far end of the fault scenarios: its config and what arrived.

Every scenario sends its alerts through the built-in ``telegram`` notifier to the local Bot API
(:class:`~payalert_testing.TelegramAPI`). A template puts the payment's ``external_id`` on the
first line of each message, so what the chats received can be matched to what was sent in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from payalert_testing.telegram_api import TOKEN, FloodLimits, TelegramAPI

#: First line: the payment's id; then what a person would read.
TEMPLATE = "{external_id}\n{icon} <b>{money}</b> {title}"
FAST_RETRY = {"delivery": {"retry_initial": "0.2s", "retry_max": "1s"}}
#: For scenarios whose fault is not in Telegram: a quicker pace per chat, kept on both sides.
QUICK_LIMITS = FloodLimits(chat_interval=0.2)
QUICK_PACE = {"chat_interval": "0.2s"}


def telegram_section(api: TelegramAPI, chats: Sequence[int | str], **options: Any) -> dict[str, Any]:
    """A ``telegram`` notifier section sending to ``chats`` through ``api``."""
    return {
        "type": "telegram",
        "token": TOKEN,
        "destinations": list(chats),
        "base_url": api.url,
        "poll_timeout": "1s",
        "templates": {"*": TEMPLATE},
        **options,
    }


def received_ids(api: TelegramAPI, chat: int | str) -> list[str]:
    """The payment ids ``chat`` received, in the order the server accepted them (repeats kept)."""
    return [message.text.split("\n", 1)[0] for message in api.sent(chat)]


def first_seen(items: Iterable[str]) -> list[str]:
    """``items`` with repeats dropped, in the order each first appeared."""
    return list(dict.fromkeys(items))
