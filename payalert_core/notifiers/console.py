"""The ``console`` notifier: prints each alert to standard output."""

from __future__ import annotations

import sys
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from .. import Notifier, NotifierConfig, Payment, hookimpl
from ..formatting import format_plain


class ConsoleConfig(NotifierConfig):
    """Options of the console notifier."""

    timezone: str = Field(default="UTC", description="IANA time zone for shown times, e.g. Asia/Kolkata.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Kolkata") from None
        return value


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
