"""Scenario 9: the outbox gauges after a notifier outage.

The recording notifier refuses its first sends (a notifier outage); payments keep arriving. While
it is down, ``payalert_deliveries_waiting`` and ``/health`` show the alerts waiting; once it is back
and everything is delivered, both must say 0 again, or an alert rule on the gauge never clears.
"""

from __future__ import annotations

import re
import time

from payalert_testing import DaemonFactory, DaemonProcess

from ..webhook_client import webhook_source
from .mixed_sources import alert_keys, post_payment, wait_delivered
from .tallying import tally

SOURCE = "shop"
PAYMENTS = 12
FAILED_SENDS = 6


def _waiting(daemon: DaemonProcess, status: str) -> float | None:
    """``payalert_deliveries_waiting`` of the recorder in ``status``, or None when not shown."""
    found = re.search(
        rf'payalert_deliveries_waiting\{{notifier="recorder",status="{status}"\}} ([0-9.e+-]+)',
        daemon.metrics(),
    )
    return float(found.group(1)) if found else None


def test_the_waiting_gauge_returns_to_zero_after_an_outage(
    payalert_daemon: DaemonFactory, reliability
) -> None:
    started = time.monotonic()
    daemon = payalert_daemon.start(
        sources={SOURCE: webhook_source()},
        recorder={"fail_first": FAILED_SENDS},
        settings={"delivery": {"retry_initial": "0.2s", "retry_max": "0.5s"}},
    )
    keys = [f"o-{n}" for n in range(PAYMENTS)]
    statuses = [post_payment(daemon, SOURCE, key) for key in keys]
    during = daemon.wait_for(lambda: _waiting(daemon, "pending"))
    wait_delivered(daemon, {(SOURCE, key) for key in keys}, timeout=30)
    daemon.wait_for(lambda: daemon.health().json()["deliveries"]["pending"] == 0)
    after = _waiting(daemon, "pending")
    health = daemon.health().json()
    result = tally({(SOURCE, key) for key in keys}, alert_keys(daemon.alerts()))
    reliability.record_tally(
        "9 notifier outage, then the waiting gauge",
        result,
        note=(
            f"{FAILED_SENDS} sends refused; payalert_deliveries_waiting pending {during:.0f} during, "
            f"{after} after; wall {time.monotonic() - started:.1f}s"
        ),
    )
    assert set(statuses) == {202}, statuses
    assert during >= 1
    assert after == 0, daemon.metrics()
    assert _waiting(daemon, "failed") == 0
    assert health["notifiers"]["recorder"]["pending"] == 0 and health["deliveries"] == {
        "pending": 0,
        "failed": 0,
    }
    assert result.lost == [] and result.duplicated == {}, result
