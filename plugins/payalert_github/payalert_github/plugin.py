"""The hooks payalert finds through the ``payalert`` entry point ``github``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from payalert_core import hookimpl

from .cli import github_commands
from .source import GitHubSponsorsSource


@hookimpl
def payalert_register_sources(register: Callable[[type[Any]], None]) -> None:
    """Register the ``type: github`` source."""
    register(GitHubSponsorsSource)


@hookimpl
def payalert_register_commands(cli: click.Group) -> None:
    """Add ``payalert github ...`` (``send-test``)."""
    cli.add_command(github_commands)
