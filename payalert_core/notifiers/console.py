"""The ``console`` notifier: prints each alert to standard output.

Every text field of a payment is one line without control or bidi-override characters (the model
makes it so), so an alert can neither forge lines nor send escape sequences to the terminal.
"""

from __future__ import annotations

import sys
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from .. import Notifier, NotifierConfig, Payment, StatusUpdate, TimeZoneName, format_plain, hookimpl


class ConsoleConfig(NotifierConfig):
    """Options of the console notifier."""

    timezone: TimeZoneName = Field(
        default="UTC", description="IANA time zone for shown times, e.g. Asia/Kolkata."
    )


class ConsoleNotifier(Notifier):
    """Prints a plain-text alert to stdout; needs no credentials."""

    type_name = "console"
    Config = ConsoleConfig
    config: ConsoleConfig

    def render(self, payment: Payment, target: str) -> str:
        """The plain-text alert, times in the configured zone."""
        return format_plain(payment, ZoneInfo(self.config.timezone))

    async def send_update(self, update: StatusUpdate, target: str) -> None:
        """Print a short follow-up naming the first alert, its time in the configured zone."""
        await self.send(update.follow_up(ZoneInfo(self.config.timezone)), target)

    async def send(self, payment: Payment, target: str) -> None:
        """Print the alert and a blank line."""
        sys.stdout.write(self.render(payment, target) + "\n\n")
        sys.stdout.flush()


@hookimpl
def payalert_register_notifiers(register: Any) -> None:
    register(ConsoleNotifier)
