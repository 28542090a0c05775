"""What each source and notifier reports about itself, and the /health document built from it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


class HealthRecord:
    """Last success, last failure and extra fields of one component (implements ComponentHealth)."""

    def __init__(
        self, kind: str, stale_after: float | None = None, failing_is_unhealthy: bool = False
    ) -> None:
        self.kind = kind
        self.stale_after = stale_after
        self.failing_is_unhealthy = failing_is_unhealthy
        self.started_at = time.time()
        self.last_success: float | None = None
        self.last_failure: float | None = None
        self.last_error: str | None = None
        self.connected: bool | None = None
        self.standby = False
        self.info: dict[str, Any] = {}

    def succeeded(self) -> None:
        """Record a success."""
        self.last_success = time.time()

    def failed(self, error: str) -> None:
        """Record a failure and its one-line reason."""
        self.last_failure = time.time()
        self.last_error = error

    def set(self, **info: Any) -> None:
        """Merge extra fields into this component's /health entry."""
        self.info.update(info)

    def set_connected(self, connected: bool) -> None:
        """Report a long-lived connection as up or down."""
        self.connected = connected
        if connected:
            self.succeeded()

    def set_standby(self, standby: bool) -> None:
        """Another node runs this source now (shared store): it is neither stale nor disconnected here."""
        if self.standby and not standby:
            self.started_at = time.time()  # staleness counts from the takeover
            self.connected = None
        self.standby = standby

    def problem(self, now: float) -> str | None:
        """Why this component makes the daemon unhealthy, or None."""
        found = self._problem(now)
        return None if found is None else found[1]

    def problem_kind(self, now: float) -> str | None:
        """``disconnected``, ``failing`` or ``stale`` when unhealthy (no names, no errors), or None."""
        found = self._problem(now)
        return None if found is None else found[0]

    def _problem(self, now: float) -> tuple[str, str] | None:
        if self.standby:
            return None
        if self.connected is False:
            return "disconnected", "disconnected"
        if self.failing_is_unhealthy and self.latest_attempt_failed():
            return "failing", f"failing: {self.last_error}"
        if self.stale_after is not None:
            since = self.last_success if self.last_success is not None else self.started_at
            if now - since > self.stale_after:
                return "stale", f"no success for {now - since:.0f}s (limit {self.stale_after:.0f}s)"
        return None

    def latest_attempt_failed(self) -> bool:
        """True when the most recent attempt (poll, connection, send) failed."""
        if self.last_failure is None:
            return False
        return self.last_success is None or self.last_failure > self.last_success

    def document(self, now: float) -> dict[str, Any]:
        """The JSON object shown in /health."""
        return {
            "kind": self.kind,
            "healthy": self.problem(now) is None,
            "problem": self.problem(now),
            "last_success": _iso(self.last_success),
            "last_failure": _iso(self.last_failure),
            "last_error": self.last_error,
            **({"connected": self.connected} if self.connected is not None else {}),
            **({"standby": True} if self.standby else {}),
            **self.info,
        }


def health_document(
    sources: dict[str, HealthRecord],
    notifiers: dict[str, HealthRecord],
    delivery_counts: dict[str, dict[str, int]],
    store: dict[str, Any],
) -> tuple[int, dict[str, Any]]:
    """The HTTP status (200 or 503) and body of ``GET /health``.

    Unhealthy: a source that is stale or disconnected, a notifier whose latest attempt failed
    (alerts are waiting), or a store that cannot write (disk full, read-only: webhooks are refused).
    """
    now = time.time()
    unhealthy = [name for name, record in {**sources, **notifiers}.items() if record.problem(now)]
    problems = {
        f"{group}_{kind}"
        for group, records in (("source", sources), ("notifier", notifiers))
        for kind in (record.problem_kind(now) for record in records.values())
        if kind is not None
    }
    if not store["writable"]:
        unhealthy.append("store")
        problems.add("store_unwritable")
    notifier_docs = {}
    for name, record in notifiers.items():
        counts = delivery_counts.get(name, {})
        notifier_docs[name] = {
            **record.document(now),
            "pending": counts.get("pending", 0),
            "failed": counts.get("failed", 0),
        }
    body = {
        "status": "degraded" if unhealthy else "ok",
        "problems": sorted(problems),
        "unhealthy": unhealthy,
        "sources": {name: record.document(now) for name, record in sources.items()},
        "notifiers": notifier_docs,
        "deliveries": {
            "pending": sum(counts.get("pending", 0) for counts in delivery_counts.values()),
            "failed": sum(counts.get("failed", 0) for counts in delivery_counts.values()),
        },
        "store": store,
    }
    return (503 if unhealthy else 200), body


def public_health(body: dict[str, Any]) -> dict[str, Any]:
    """What ``/health`` shows without the token: the status and the kinds of problem, no names or errors."""
    return {"status": body["status"], "problems": body.get("problems", [])}
