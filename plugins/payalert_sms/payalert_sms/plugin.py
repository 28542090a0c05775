"""The hooks payalert finds through the ``payalert`` entry point ``sms``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from payalert_core import hookimpl

from .cli import sms_commands
from .source import SmsSource


@hookimpl
def payalert_register_sources(register: Callable[[type[Any]], None]) -> None:
    """Register the ``type: sms`` source."""
    register(SmsSource)


@hookimpl
def payalert_register_commands(cli: click.Group) -> None:
    """Add ``payalert sms ...`` (``explain``, ``send-test``)."""
    cli.add_command(sms_commands)
