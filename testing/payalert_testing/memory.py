"""In-memory stand-ins for the core's side of a source or notifier: unit tests without a daemon."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy

from payalert_core import IngestResult, Payment


@dataclass
class RecordingHealth:
    """Records what a source or notifier reports to ``/health``."""

    failures: list[str] = field(default_factory=list)
    successes: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    connected: bool | None = None

    def succeeded(self) -> None:
        """Count a success."""
        self.successes += 1

    def failed(self, error: str) -> None:
        """Keep the failure's reason."""
        self.failures.append(error)

    def set(self, **info: Any) -> None:
        """Merge extra fields."""
        self.info.update(info)

    def set_connected(self, connected: bool) -> None:
        """Keep the connection state."""
        self.connected = connected


class MemorySourceRuntime:
    """A SourceRuntime keeping payments and cursors in memory, deduplicating like the store.

    Dedupe is on ``external_id`` (one source per runtime). Cursors go through JSON, as the store's
    do. ``crash_after`` makes the n-th ingest (1-based) and later ones raise before storing
    anything, as a crash before a commit would; what is kept is what a restarted daemon reads back.
    """

    def __init__(self, crash_after: int | None = None) -> None:
        self.events: dict[str, Payment] = {}
        self.order: list[str] = []
        self.state: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.health = RecordingHealth()
        self.ingests = 0
        self.crash_after = crash_after
        #: No plugins: hooks a plugin would declare are absent.
        self.plugin_manager = pluggy.PluginManager("payalert")

    async def ingest(
        self, payments: Sequence[Payment], cursors: Mapping[str, Any] | None = None
    ) -> IngestResult:
        """Store new payments and the cursors together."""
        self.ingests += 1
        if self.crash_after is not None and self.ingests >= self.crash_after:
            raise RuntimeError("simulated crash before commit")
        stored = duplicates = 0
        for payment in payments:
            if payment.external_id in self.events:
                duplicates += 1
                continue
            self.events[payment.external_id] = payment
            self.order.append(payment.external_id)
            stored += 1
        self.state.update(json.loads(json.dumps(dict(cursors or {}))))
        return IngestResult(stored=stored, duplicates=duplicates)

    async def load_state(self, key: str = "cursor") -> Any:
        """A cursor saved by an earlier ingest."""
        return self.state.get(key)

    def count(self, event: str) -> None:
        """Count a source-specific event."""
        self.counts[event] = self.counts.get(event, 0) + 1

    def payments(self) -> list[Payment]:
        """Stored payments in the order they were stored."""
        return [self.events[key] for key in self.order]


class MemoryNotifierRuntime:
    """A NotifierRuntime in memory: state goes through JSON as the store's does; no payments stored.

    ``in_daemon`` is False, as for ``payalert test-notify``; ``payments`` are what
    ``recent_payments`` answers (newest first), for notifiers that show them.
    """

    def __init__(self, payments: Sequence[Payment] = ()) -> None:
        self.health = RecordingHealth()
        self.in_daemon = False
        self.state: dict[str, Any] = {}
        self.payments = list(payments)

    async def load_state(self, key: str = "state") -> Any:
        """A value saved earlier, or None."""
        return self.state.get(key)

    async def save_state(self, key: str, value: Any) -> None:
        """Keep a JSON value."""
        self.state[key] = json.loads(json.dumps(value))

    async def status(self) -> dict[str, Any]:
        """A healthy ``/health`` document with nothing configured."""
        return {"status": "ok", "unhealthy": [], "sources": {}, "notifiers": {}, "deliveries": {}}

    async def recent_payments(self, limit: int) -> list[Payment]:
        """The newest ``limit`` of ``payments``."""
        return self.payments[:limit]

    async def run_exclusively(self, job: str, work: Callable[[], Awaitable[None]]) -> None:
        """One node alone: run ``work()`` at once."""
        await work()
