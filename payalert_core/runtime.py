"""The core's side of sources and notifiers: filtering, storing and reporting on their behalf."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pluggy

from .configtypes import SourceConfig
from .health import HealthRecord
from .metrics import Metrics
from .model import Payment
from .source import IngestResult
from .store import Lane, Store
from .tellings import Repeat

log = logging.getLogger("payalert.pipeline")


def kind_matches(kind: str, patterns: Sequence[str]) -> bool:
    """True when ``kind`` equals a pattern or starts with ``pattern + '.'``."""
    return any(kind == pattern or kind.startswith(pattern + ".") for pattern in patterns)


def passes_source_filters(payment: Payment, config: SourceConfig) -> bool:
    """The per-source kind filters and minimum amounts from config."""
    if config.include_kinds is not None and not kind_matches(payment.kind, config.include_kinds):
        return False
    if config.exclude_kinds and kind_matches(payment.kind, config.exclude_kinds):
        return False
    if payment.amount is not None and payment.currency in config.min_amount:
        return payment.amount >= config.min_amount[payment.currency]
    return True


def process_with_hooks(implementations: Sequence[pluggy.HookImpl], payment: Payment) -> Payment | None:
    """Run ``payalert_process_payment`` implementations (in call order) in turn; None means vetoed."""
    for implementation in implementations:
        result = implementation.function(payment=payment)
        if result is False:
            return None
        if isinstance(result, Payment):
            payment = result
        elif result is not None:
            raise TypeError(
                f"plugin {implementation.plugin_name} returned {type(result).__name__} from "
                "payalert_process_payment; return None, False or a Payment"
            )
    return payment


class SourceRuntimeImpl:
    """Implements :class:`~payalert_core.SourceRuntime` for one source entry."""

    def __init__(
        self,
        name: str,
        config: SourceConfig,
        store: Store,
        lanes: Callable[[], Sequence[Lane]],
        manager: pluggy.PluginManager,
        metrics: Metrics,
        health: HealthRecord,
        on_stored: Callable[[], None],
    ) -> None:
        self.name = name
        self.config = config
        self.store = store
        self.lanes = lanes
        self.manager = manager
        self.metrics = metrics
        self.health = health
        self.on_stored = on_stored
        self._ingested = metrics.events_ingested.labels(name)
        self._duplicates = metrics.events_duplicate.labels(name)
        self._filtered = metrics.events_filtered.labels(name)

    async def ingest(
        self, payments: Sequence[Payment], cursors: Mapping[str, Any] | None = None
    ) -> IngestResult:
        """Filter, then store payments and cursors in one transaction.

        Raises :class:`~payalert_core.InvalidPayment` (storing nothing) when a payment to store is
        outside the bounds: one read back with ``Payment.from_json``, or a hook's result built that way.
        """
        accepted: list[Payment] = []
        filtered = 0
        hooks = self.manager.hook.payalert_process_payment.get_hookimpls()[::-1]  # pluggy's call order
        for payment in payments:
            if payment.source != self.name:
                payment = payment.replace(source=self.name)
            processed = (
                process_with_hooks(hooks, payment) if passes_source_filters(payment, self.config) else None
            )
            if processed is None:
                filtered += 1
            else:
                if processed.read_back:  # any other payment met the bounds when it was built
                    processed.check_bounds()
                accepted.append(processed)
        state = {(f"source:{self.name}", key): value for key, value in cursors.items()} if cursors else {}
        if not accepted and not state:
            self._count(0, 0, filtered)
            return IngestResult(filtered=filtered)
        if any(payment.match is not None for payment in accepted):
            stored = await self.store.ingest_matching(accepted, self.lanes(), state)
            self._report_repeats(stored.repeats)
        else:
            stored = await self.store.ingest(accepted, self.lanes(), state)
        self._count(len(stored.new_event_ids), stored.duplicates, filtered)
        if stored.new_event_ids:
            self.on_stored()
        return IngestResult(
            stored=len(stored.new_event_ids),
            duplicates=stored.duplicates,
            filtered=filtered,
            repeats=len(stored.repeats),
        )

    def _report_repeats(self, repeats: Sequence[Repeat]) -> None:
        for repeat in repeats:
            self.count("repeat")
            log.info(
                "%s %s tells payment %s %s again: stored as a repeat of it, not alerted",
                repeat.source,
                repeat.external_id,
                repeat.first_source,
                repeat.first_external_id,
            )

    def _count(self, stored: int, duplicates: int, filtered: int) -> None:
        if stored:
            self._ingested.inc(stored)
        if duplicates:
            self._duplicates.inc(duplicates)
        if filtered:
            self._filtered.inc(filtered)

    async def load_state(self, key: str = "cursor") -> Any:
        """A cursor saved by an earlier ingest."""
        return await self.store.load_state(f"source:{self.name}", key)

    def count(self, event: str) -> None:
        """Count a source-specific event in /metrics."""
        self.metrics.source_events.labels(self.name, event).inc()

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The plugin manager the daemon loaded."""
        return self.manager


class NotifierRuntimeImpl:
    """Implements :class:`~payalert_core.NotifierRuntime` for one notifier entry."""

    def __init__(
        self, name: str, store: Store, health: HealthRecord, status: Callable[[], Any], in_daemon: bool = True
    ) -> None:
        self.name = name
        self.store = store
        self.health = health
        self.in_daemon = in_daemon
        self._status = status

    async def load_state(self, key: str = "state") -> Any:
        """A value saved earlier by this notifier."""
        return await self.store.load_state(f"notifier:{self.name}", key)

    async def save_state(self, key: str, value: Any) -> None:
        """Durably save a value for this notifier."""
        await self.store.save_state(f"notifier:{self.name}", key, value)

    async def status(self) -> dict[str, Any]:
        """The /health document."""
        _, body = await self._status()
        return body

    async def recent_payments(self, limit: int) -> list[Payment]:
        """Newest stored payments first."""
        return await self.store.recent_payments(limit)
