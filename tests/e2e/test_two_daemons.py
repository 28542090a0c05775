"""Scenario 8: a second ``payalert run`` on a data directory another daemon is using.

Two daemons on one store would both deliver every pending alert. The second must exit at once with
one line naming the PID of the first (status 3), without touching the store, while the first keeps
going; the read-only commands still work beside the running daemon; a SIGHUP reload keeps the data
directory taken; and after ``kill -9`` of the first the kernel has released it, so a new daemon
starts and delivers what was left, each payment once.
"""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from payalert_testing import DaemonFactory, DaemonProcess

from ..webhook_client import webhook_source
from .mixed_sources import alert_keys, post_payment, wait_delivered, wait_outbox_empty
from .tallying import tally

SOURCE = "shop"
PAYMENTS = 200
#: The exit status of a daemon whose data directory another payalert holds.
DATA_DIR_IN_USE = 3


def _second_daemon_on(payalert_daemon: DaemonFactory, first: DaemonProcess) -> DaemonProcess:
    """Start another daemon on ``first``'s data directory (its own port and recorder)."""
    return payalert_daemon.start(
        sources={SOURCE: webhook_source()},
        settings={"data_dir": str(first.data_dir)},
        wait_healthy=False,
    )


def _exit_status(daemon: DaemonProcess) -> int:
    assert daemon.process is not None
    try:
        return daemon.process.wait(30)
    except subprocess.TimeoutExpired:
        daemon.kill()
        raise AssertionError(f"the second daemon kept running:\n{daemon.output()[-2000:]}") from None


def test_a_second_daemon_on_the_same_data_dir_refuses_to_start(
    payalert_daemon: DaemonFactory, reliability
) -> None:
    started = time.monotonic()
    first = payalert_daemon.start(sources={SOURCE: webhook_source()}, recorder={"delay": "0.02s"})
    assert first.process is not None
    keys = [f"p-{n:03d}" for n in range(PAYMENTS)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        posting = pool.map(lambda key: post_payment(first, SOURCE, key), keys)
        second = _second_daemon_on(payalert_daemon, first)
        second_status = _exit_status(second)
        statuses = list(posting)
    complaint = second.output().strip().splitlines()[-1] if second.output().strip() else ""
    complaint = complaint.replace(str(first.data_dir), "<data_dir>")

    listed = first.cli("deliveries", "--json")
    first.reload()
    first.wait_for(lambda: "config reloaded" in first.output())
    after_reload = _second_daemon_on(payalert_daemon, first)
    after_reload_status = _exit_status(after_reload)

    first.kill()
    successor = _second_daemon_on(payalert_daemon, first)
    successor.wait_ready()
    expected = {(SOURCE, key) for key, status in zip(keys, statuses, strict=True) if status == 202}
    alerts = first.alerts() + successor.alerts() + second.alerts() + after_reload.alerts()
    wait_delivered(successor, expected - set(alert_keys(first.alerts())), timeout=60)
    wait_outbox_empty(successor)
    alerts = first.alerts() + successor.alerts() + second.alerts() + after_reload.alerts()
    result = tally(expected, alert_keys(alerts))
    reliability.record_tally(
        "8 a second daemon on the same data dir",
        result,
        note=(
            f"second start exit {second_status} ({complaint!r}); again after SIGHUP exit "
            f"{after_reload_status}; `deliveries` beside it exit {listed.returncode}; after kill -9 "
            f"a new daemon took over; sent-not-recorded {result.extra_copies}; "
            f"wall {time.monotonic() - started:.1f}s"
        ),
    )
    assert second_status == DATA_DIR_IN_USE, second.output()[-2000:]
    assert f"PID {first.process.pid}" in complaint and "data_dir: <data_dir> is in use" in complaint, (
        complaint
    )
    assert "Traceback" not in second.output()
    assert second.alerts() == [] and after_reload.alerts() == []
    assert listed.returncode == 0, listed.stderr
    assert after_reload_status == DATA_DIR_IN_USE, after_reload.output()[-2000:]
    assert set(statuses) == {202}, statuses
    assert result.unexpected == [] and result.lost == [], result
    # One lane, one kill -9: at most the one alert in flight at the kill goes twice.
    assert result.extra_copies <= 1, result.duplicated
