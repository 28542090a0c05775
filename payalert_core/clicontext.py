"""What every ``payalert`` sub-command shares, plugins' included."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .config import Config, load_config
from .plugins import Plugins

F = TypeVar("F", bound=Callable[..., Any])


class CliContext:
    """The click context object of every sub-command (get it with ``click.pass_obj``).

    ``config_path`` is where the config lives; ``config`` loads and validates it on first use
    (raising ConfigError, which the CLI turns into exit 2); ``plugins`` holds what was loaded.
    """

    def __init__(self, config_path: Path, plugins: Plugins) -> None:
        self.config_path = config_path
        self.plugins = plugins
        self._config: Config | None = None

    def redact(self, text: str) -> str:
        """``text`` without secrets or values from ``${VAR}``, once the config has been loaded."""
        return self._config.redact(text) if self._config is not None else text

    @property
    def config(self) -> Config:
        """The validated config."""
        if self._config is None:
            self._config = load_config(self.config_path, self.plugins)
        return self._config

    def load_source_state(self, source: str, key: str = "cursor") -> Any:
        """A source's saved cursor or state, read from the store (safe while the daemon runs)."""
        from .store import Store

        async def read() -> Any:
            store = Store(self.config.store_path)
            await store.open()
            try:
                return await store.load_state(f"source:{source}", key)
            finally:
                await store.close()

        return asyncio.run(read())


def config_option(command: F) -> F:
    """Add ``-c/--config PATH`` to a sub-command (the same option also works before it)."""

    def remember(context: click.Context, _: click.Parameter, value: Path | None) -> None:
        if value is not None:
            context.find_object(CliContext).config_path = value  # type: ignore[union-attr]

    return click.option(
        "-c",
        "--config",
        type=click.Path(path_type=Path),
        expose_value=False,
        callback=remember,
        help="Config file (default: $PAYALERT_CONFIG or ./config.yaml).",
    )(command)
