"""What every ``payalert`` sub-command shares, plugins' included."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .config import Config, load_config
from .errors import UserError
from .plugins import Plugins
from .tellings import PaymentMatch, Telling

if TYPE_CHECKING:
    from .store import Store

F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S")
T = TypeVar("T")


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

    def source_section(self, config_type: type[S], type_name: str, source_name: str | None) -> tuple[str, S]:
        """The source named ``source_name`` (or the only one) whose section is a ``config_type``.

        Raises :class:`~payalert_core.UserError` saying what to write when there is none, or
        several and no name was given.
        """
        sections = {
            name: section for name, section in self.config.sources.items() if isinstance(section, config_type)
        }
        if source_name is None:
            if len(sections) != 1:
                found = ", ".join(sorted(sections)) or "none"
                raise UserError(
                    f"{self.config_path}: expected exactly one source with type: {type_name} (found: {found}); "
                    "choose one with --source"
                )
            source_name = next(iter(sections))
        elif source_name not in sections:
            raise UserError(
                f"{self.config_path}: sources.{source_name} is not a source with type: {type_name}"
            )
        return source_name, sections[source_name]

    def hook_url(self, source_name: str) -> str:
        """``http://host:port/hooks/<name>/`` of the configured server, as reached from this machine."""
        server = self.config.settings.server
        return local_hook_url(server.host, server.port, source_name)

    def load_source_state(self, source: str, key: str = "cursor") -> Any:
        """A source's saved cursor or state, read from the store (read-only: safe while the daemon runs)."""
        return self._read_store(lambda store: store.load_state(f"source:{source}", key))

    def stored_tellings(self, match: PaymentMatch) -> list[Telling]:
        """The stored tellings of the payment ``match`` tells, read from the store (safe while the daemon runs).

        Empty when nothing tells it yet, or when there is no store (the daemon never ran here).
        """
        return self._read_store(lambda store: store.tellings_of(match))

    def _read_store(self, query: Callable[[Store], Awaitable[T]]) -> T:
        """Open the configured store read-only, run ``query`` on it, close it."""
        from .store import store_for

        async def read() -> T:
            store = store_for(self.config, read_only=True)
            await store.open()
            try:
                return await query(store)
            finally:
                await store.close()

        return asyncio.run(read())


def local_hook_url(host: str, port: int, source_name: str) -> str:
    """The URL of a push source's hook on a server listening on ``host``, as reached from this machine.

    A server on every address (``0.0.0.0``, ``::``) is reached on loopback.
    """
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/hooks/{source_name}/"


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
