"""The hooks payalert finds through the ``payalert`` entry point ``imap``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import pluggy

from payalert_core import hookimpl

from . import hookspecs
from .cli import imap_commands
from .source import ImapSource


@hookimpl
def payalert_register_sources(register: Callable[[type[Any]], None]) -> None:
    """Register the ``type: imap`` source."""
    register(ImapSource)


@hookimpl
def payalert_register_commands(cli: click.Group) -> None:
    """Add ``payalert imap ...`` (``explain``, ``test-connection``)."""
    cli.add_command(imap_commands)


@hookimpl
def payalert_add_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Declare ``payalert_imap_register_parsers`` (mail-only parsers)."""
    plugin_manager.add_hookspecs(hookspecs)
