"""How many deliveries wait, per notifier and status, kept in memory as the store writes them.

``/health`` and ``/metrics`` read these numbers on every request, so they must cost nothing: the
store counts once when it opens, then moves each delivery from one status to another as its own
writes commit, and counts again only when another process changed the outbox (``retry-failed``).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Deliveries in this status are done; only the others are counted.
DONE = "sent"
#: Statuses every notifier shows, at 0 when none is in them.
SHOWN = ("pending", "failed")


class DeliveryCounts:
    """Deliveries not yet sent, per notifier and status."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, int]] = {}

    def reset(self, rows: Iterable[tuple[str, str, int]]) -> None:
        """Replace every count with ``(notifier, status, count)`` rows counted from the store."""
        known = set(self._counts)
        self._counts = {}
        for notifier in known:  # a notifier seen before stays, at 0, so its gauges fall to 0
            self._row(notifier)
        for notifier, status, count in rows:
            if status != DONE:
                self._row(notifier)[status] = count

    def add(self, notifier: str, status: str, count: int = 1) -> None:
        """``count`` new deliveries of ``notifier`` in ``status``."""
        if status != DONE and count:
            row = self._row(notifier)
            row[status] = row.get(status, 0) + count

    def move(self, notifier: str, old: str, new: str, count: int = 1) -> None:
        """``count`` deliveries of ``notifier`` went from status ``old`` to ``new``."""
        if old != new:
            self.add(notifier, old, -count)
            self.add(notifier, new, count)

    def snapshot(self) -> dict[str, dict[str, int]]:
        """``{notifier: {"pending": n, "failed": n, …}}``, a copy."""
        return {notifier: dict(row) for notifier, row in self._counts.items()}

    def _row(self, notifier: str) -> dict[str, int]:
        row = self._counts.get(notifier)
        if row is None:
            row = self._counts[notifier] = dict.fromkeys(SHOWN, 0)
        return row
