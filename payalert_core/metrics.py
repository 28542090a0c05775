"""Prometheus metrics, in a registry of the daemon's own (no process-global state)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

disable_created_metrics()


class Metrics:
    """Every counter the daemon exposes at ``GET /metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events_ingested = Counter(
            "payalert_events_ingested",
            "Events stored: payments, and notices about them (no money moved).",
            ["source"],
            registry=self.registry,
        )
        self.events_duplicate = Counter(
            "payalert_events_duplicate",
            "Events dropped as already stored.",
            ["source"],
            registry=self.registry,
        )
        self.events_filtered = Counter(
            "payalert_events_filtered",
            "Events dropped by filters and hooks.",
            ["source"],
            registry=self.registry,
        )
        self.source_events = Counter(
            "payalert_source_events",
            "Events a source counts (e.g. rejected signatures).",
            ["source", "event"],
            registry=self.registry,
        )
        self.polls = Counter("payalert_polls", "Polls run.", ["source", "outcome"], registry=self.registry)
        self.poll_duration = Histogram(
            "payalert_poll_duration_seconds", "Time one poll took.", ["source"], registry=self.registry
        )
        self.deliveries = Counter(
            "payalert_deliveries",
            "Send attempts by outcome (sent, retried, failed).",
            ["notifier", "outcome"],
            registry=self.registry,
        )
        self.deliveries_waiting = Gauge(
            "payalert_deliveries_waiting",
            "Deliveries not yet sent.",
            ["notifier", "status"],
            registry=self.registry,
        )

    def render(self, delivery_counts: dict[str, dict[str, int]]) -> bytes:
        """The text exposition format, with delivery gauges refreshed from the store."""
        for notifier, counts in delivery_counts.items():
            for status, count in counts.items():
                self.deliveries_waiting.labels(notifier, status).set(count)
        return generate_latest(self.registry)
