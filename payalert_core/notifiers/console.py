"""The ``console`` notifier: prints each alert to standard output."""

from __future__ import annotations

import sys
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from .. import Notifier, NotifierConfig, Payment, TimeZoneName, hookimpl
from ..formatting import format_plain


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

    async def send(self, payment: Payment, target: str) -> None:
        sys.stdout.write(format_plain(payment, ZoneInfo(self.config.timezone)) + "\n\n")
        sys.stdout.flush()


@hookimpl
def payalert_register_notifiers(register: Any) -> None:
    register(ConsoleNotifier)
