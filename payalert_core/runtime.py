"""The core's side of sources and notifiers: filtering, storing and reporting on their behalf."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from .configtypes import SourceConfig
from .coordination import Coordination
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


class PaymentHooks:
    """``payalert_process_payment``, called through pluggy one plugin at a time, in pluggy's order.

    Each plugin sees the previous one's result, so the hook is called once per plugin (pluggy's
    ``subset_hook_caller``): pluggy still hands each implementation only the arguments it declares.
    Wrappers are refused when plugins load (see :func:`payalert_core.plugins.refuse_chain_wrappers`).
    """

    def __init__(self, manager: pluggy.PluginManager) -> None:
        implementations = manager.hook.payalert_process_payment.get_hookimpls()[::-1]  # call order
        plugins = list(dict.fromkeys(implementation.plugin for implementation in implementations))
        self._steps = [
            (
                manager.get_name(plugin) or repr(plugin),
                manager.subset_hook_caller(
                    "payalert_process_payment", [other for other in plugins if other is not plugin]
                ),
            )
            for plugin in plugins
        ]

    def run(self, payment: Payment) -> Payment | None:
        """The payment as the plugins left it; None when one of them vetoed it."""
        for plugin_name, call in self._steps:
            for result in call(payment=payment):
                if result is False:
                    return None
                if not isinstance(result, Payment):
                    raise TypeError(
                        f"plugin {plugin_name} returned {type(result).__name__} from "
                        "payalert_process_payment; return None, False or a Payment"
                    )
                payment = result
        return payment


@dataclass(frozen=True)
class SourceServices:
    """What the daemon shares with every source's runtime."""

    store: Store
    #: The delivery lanes a new payment is queued on (the daemon's live list).
    lanes: Sequence[Lane]
    manager: pluggy.PluginManager
    hooks: PaymentHooks
    metrics: Metrics
    #: Called after new payments are stored: wakes the deliveries.
    on_stored: Callable[[], None]

    @classmethod
    def create(
        cls,
        store: Store,
        lanes: Sequence[Lane],
        manager: pluggy.PluginManager,
        metrics: Metrics,
        on_stored: Callable[[], None],
    ) -> SourceServices:
        """The services, with the payment hooks read from ``manager``."""
        return cls(store, lanes, manager, PaymentHooks(manager), metrics, on_stored)


class SourceRuntimeImpl:
    """Implements :class:`~payalert_core.SourceRuntime` for one source entry."""

    def __init__(
        self, name: str, config: SourceConfig, health: HealthRecord, services: SourceServices
    ) -> None:
        self.name = name
        self.config = config
        self.health = health
        self.services = services
        self.store = services.store
        self.metrics = services.metrics
        self._ingested = services.metrics.events_ingested.labels(name)
        self._duplicates = services.metrics.events_duplicate.labels(name)
        self._filtered = services.metrics.events_filtered.labels(name)

    async def ingest(
        self, payments: Sequence[Payment], cursors: Mapping[str, Any] | None = None
    ) -> IngestResult:
        """Filter, then store payments and cursors in one transaction.

        Raises :class:`~payalert_core.InvalidPayment` (storing nothing) when a payment to store is
        outside the bounds: one read back with ``Payment.from_json``, or a hook's result built that way.
        """
        accepted: list[Payment] = []
        filtered = 0
        for payment in payments:
            if payment.source != self.name:
                payment = payment.replace(source=self.name)
            processed = (
                self.services.hooks.run(payment) if passes_source_filters(payment, self.config) else None
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
            stored = await self.store.ingest_matching(accepted, self.services.lanes, state)
            self._report_repeats(stored.repeats)
        else:
            stored = await self.store.ingest(accepted, self.services.lanes, state)
        self._count(len(stored.new_event_ids), stored.duplicates, filtered)
        if stored.new_event_ids:
            self.services.on_stored()
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
        return self.services.manager


class NotifierRuntimeImpl:
    """Implements :class:`~payalert_core.NotifierRuntime` for one notifier entry."""

    def __init__(
        self,
        name: str,
        store: Store,
        health: HealthRecord,
        status: Callable[[], Any],
        in_daemon: bool = True,
        coordination: Coordination | None = None,
    ) -> None:
        self.name = name
        self.store = store
        self.health = health
        self.in_daemon = in_daemon
        self.coordination = coordination or store.coordination
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

    async def run_exclusively(self, job: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work()`` on one node at a time: here, while this node holds ``job``."""
        await self.coordination.run_exclusively(f"notifier:{self.name}:{job}", work)
