"""The ``type: imap`` stream source: one watcher (connection + worker thread) per folder."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from payalert_core import SourceConfig, StreamSource

from .config import ImapSourceConfig
from .mailchain import mail_chain
from .watcher import FolderWatcher

#: Folder states that mean "connected and watching".
WATCHING = ("idle", "polling")


class ImapSource(StreamSource):
    """Watches the configured folders of one mailbox and turns bank alert mail into payments."""

    type_name = "imap"
    Config: ClassVar[type[SourceConfig]] = ImapSourceConfig
    config: ImapSourceConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watchers: list[FolderWatcher] = []
        self.folder_states: dict[str, str] = {}
        self.cursors: dict[str, dict[str, Any]] = {}

    async def start(self) -> None:
        """Build the parser chain (rules, plugin parsers, built-ins) and one watcher per folder."""
        chain = mail_chain(self.config.rules, self.runtime.plugin_manager)
        settings = self.config.read_settings()
        self.watchers = [FolderWatcher(self, folder, chain, settings) for folder in self.config.folders]
        for folder in self.config.folders:
            self.folder_states[folder] = "connecting"
        self.runtime.health.set(
            connection="connecting", folders=dict(self.folder_states), parsers=chain.names
        )
        self.runtime.health.set_connected(False)

    async def run(self) -> None:
        """Watch every folder until cancelled (each watcher reconnects with backoff on its own)."""
        await asyncio.gather(*(watcher.run() for watcher in self.watchers))

    async def close(self) -> None:
        """Stop waiting, log out, and let the worker threads go."""
        await asyncio.gather(*(watcher.close() for watcher in self.watchers), return_exceptions=True)

    def record_cursor(self, folder: str, cursor: dict[str, Any]) -> None:
        """Show the stored cursor of ``folder`` in ``/health`` (``cursors``)."""
        self.cursors[folder] = cursor
        self.runtime.health.set(cursors=dict(self.cursors))

    def report(self, folder: str, state: str, error: str | None = None) -> None:
        """Record one folder's connection state in ``/health`` (``connection`` sums them up)."""
        self.folder_states[folder] = state
        states = set(self.folder_states.values())
        if states <= set(WATCHING):
            overall = "idle" if states == {"idle"} else "polling" if states == {"polling"} else "watching"
        else:
            overall = next(
                s for s in ("login_failed", "tls_failed", "reconnecting", "connecting") if s in states
            )
        health = self.runtime.health
        health.set(connection=overall, folders=dict(self.folder_states))
        health.set_connected(states <= set(WATCHING))
        if error:
            health.failed(error)
