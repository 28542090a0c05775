"""Two payalert nodes on one PostgreSQL database: starting them, asking who runs what, counting
what both delivered."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from payalert_testing import DaemonFactory, DaemonProcess, RecordedAlert

#: Short enough for tests: a dead node's lanes move after LEASE, its streams within TAKEOVER_CHECK.
LEASE = "2s"
TAKEOVER_CHECK = "0.5s"


def start_nodes(factory: DaemonFactory, url: str, count: int = 2, **options: Any) -> list[DaemonProcess]:
    """``count`` daemons with the same sources and notifiers, each its own config, one store."""
    settings = {"store": {"url": url, "lease": LEASE, "takeover_check": TAKEOVER_CHECK}}
    return [factory.start(settings=settings, **options) for _ in range(count)]


def store_of(daemon: DaemonProcess) -> dict[str, Any]:
    """The ``store`` section of a node's ``/health``."""
    return daemon.health().json()["store"]


def runner(nodes: list[DaemonProcess], job: str, timeout: float = 20) -> DaemonProcess:
    """The one node running ``job`` (a source, ``notifier:<name>:commands``); fails if two do."""
    return _the_one(nodes, lambda store: job in store["runs"], job, timeout)


def lane_holder(
    nodes: list[DaemonProcess], lane: str = "recorder/default", timeout: float = 20
) -> DaemonProcess:
    """The one node sending ``lane``; fails if two do."""
    return _the_one(nodes, lambda store: lane in store["lanes"], f"lane {lane}", timeout)


def _the_one(
    nodes: list[DaemonProcess], holds: Callable[[dict[str, Any]], bool], what: str, timeout: float
) -> DaemonProcess:
    deadline = time.monotonic() + timeout
    while True:
        holding = [node for node in nodes if holds(store_of(node))]
        assert len(holding) <= 1, f"{what} is held by {len(holding)} nodes at once"
        if holding:
            return holding[0]
        if time.monotonic() > deadline:
            raise TimeoutError(f"no node holds {what} after {timeout}s")
        time.sleep(0.05)


def all_alerts(nodes: list[DaemonProcess]) -> list[RecordedAlert]:
    """What the recording notifiers of every node received."""
    return [alert for node in nodes for alert in node.alerts()]


def keys(alerts: list[RecordedAlert]) -> list[tuple[str, str]]:
    """``(source, external_id)`` of each alert."""
    return [(alert.payment.source, alert.payment.external_id) for alert in alerts]


def wait_all_delivered(nodes: list[DaemonProcess], expected: set[tuple[str, str]], timeout: float) -> None:
    """Wait until every expected payment was alerted by some node."""
    deadline = time.monotonic() + timeout
    while True:
        missing = expected - set(keys(all_alerts(nodes)))
        if not missing:
            return
        if time.monotonic() > deadline:
            logs = "\n".join(node.output()[-2000:] for node in nodes)
            raise TimeoutError(
                f"{len(missing)} of {len(expected)} not alerted, e.g. {sorted(missing)[:5]}\n{logs}"
            )
        time.sleep(0.1)


class FeedWriter:
    """Appends payments to a ``feed-poll`` file from a thread, ``count`` lines, a few ms apart."""

    def __init__(self, path: Path, prefix: str, count: int, pause: float = 0.01) -> None:
        self.path = path
        self.ids = [f"{prefix}{number}" for number in range(count)]
        self.pause = pause
        self.thread = threading.Thread(target=self._run, name="feed", daemon=True)

    def start(self) -> FeedWriter:
        """Start writing."""
        self.thread.start()
        return self

    def _run(self) -> None:
        for ident in self.ids:
            with self.path.open("a") as feed:
                feed.write(json.dumps({"id": ident, "amount": "2", "currency": "EUR"}) + "\n")
            time.sleep(self.pause)

    def join(self, timeout: float = 60) -> None:
        """Wait until every line is written."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the feed writer hangs"
