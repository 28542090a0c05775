"""Scenario 10: strangers holding connections open, and clients hanging up mid-request.

Slowloris: the daemon runs with an open-file limit of 256 (the unit sets ``LimitNOFILE``; Linux's
default is 1,024) and 400 connections trickle a byte each half second, half of them never ending
their headers, half never finishing a body. Health probes must still be answered, honest webhooks
still stored and alerted once, and every slow connection closed by the server, none kept for good.

Hang-ups: 500 requests announce a 1,000-byte body, send part of it and close. Each costs at most
one INFO line without a traceback, and identical lines are counted, not repeated.
"""

from __future__ import annotations

import http.client
import socket
import time

from payalert_testing import DaemonFactory, DaemonProcess

from ..webhook_client import webhook_source
from .mixed_sources import alert_keys, post_payment, wait_delivered
from .slow_clients import SlowClients
from .tallying import tally

SOURCE = "shop"
OPEN_FILES = 256
SLOW = 400
PROBES = 9
WEBHOOKS = 20
HANG_UPS = 500
SETTINGS = {"server": {"header_timeout": "3s", "body_timeout": "4s"}}


def _probe(daemon: DaemonProcess) -> tuple[int, float]:
    """``GET /health`` on a fresh connection, as a load balancer or Docker would: (status, seconds)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=5)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status, time.monotonic() - started
    except (OSError, http.client.HTTPException):
        return 0, time.monotonic() - started
    finally:
        connection.close()


def test_more_slow_connections_than_open_files_leave_probes_and_webhooks_served(
    payalert_daemon: DaemonFactory, reliability
) -> None:
    started = time.monotonic()
    daemon = payalert_daemon.start(
        sources={SOURCE: webhook_source()}, settings=SETTINGS, open_files=OPEN_FILES
    )
    slow = SlowClients(daemon.port, SLOW).start()
    try:
        time.sleep(1.0)  # every slow client has sent its first bytes and is trickling
        probes, statuses = [], {}
        for number in range(PROBES):
            probes.append(_probe(daemon))
            for key in (f"slow-{number}-a", f"slow-{number}-b", f"slow-{number}-c"):
                if len(statuses) < WEBHOOKS:
                    statuses[key] = post_payment(daemon, SOURCE, key)
            time.sleep(0.3)
        open_during = slow.still_open()
        daemon.wait_for(lambda: slow.still_open() == 0, timeout=60, interval=0.2)
        lifetimes = slow.lifetimes()
        timed_out = sum(1 for c in slow.connections if c.answer.startswith(b"HTTP/1.1 408"))
    finally:
        slow.stop()
    expected = {(SOURCE, key) for key, status in statuses.items() if status == 202}
    wait_delivered(daemon, expected, timeout=30)
    result = tally({(SOURCE, key) for key in statuses}, alert_keys(daemon.alerts()))
    answered = [status for status, _ in probes if status == 200]
    log = daemon.output()
    reliability.record_tally(
        "11a slowloris beyond the open-file limit",
        result,
        note=(
            f"{SLOW} slow connections against RLIMIT_NOFILE {OPEN_FILES}: {len(answered)} of {PROBES} "
            f"probes answered (slowest {max(s for _, s in probes):.2f}s), "
            f"{sum(status == 202 for status in statuses.values())} of {len(statuses)} webhooks 202; "
            f"{open_during} still open while probing, all {len(lifetimes)} closed by the server within "
            f"{max(lifetimes):.1f}s (header_timeout 3s, body_timeout 4s; {timed_out} answered 408); "
            f"wall {time.monotonic() - started:.1f}s"
        ),
    )
    assert len(answered) == PROBES, probes
    assert set(statuses.values()) == {202}, statuses
    assert result.lost == [] and result.duplicated == {} and result.unexpected == [], result
    assert len(lifetimes) == SLOW, "a slow connection was kept open"
    assert daemon.process is not None and daemon.process.poll() is None
    assert "Traceback" not in log and "out of system resource" not in log, log[-3000:]


def test_clients_hanging_up_mid_request_cost_one_quiet_line(
    payalert_daemon: DaemonFactory, reliability
) -> None:
    started = time.monotonic()
    daemon = payalert_daemon.start(sources={SOURCE: webhook_source()})
    log_from = len(daemon.output())
    request = (
        b"POST /hooks/shop/ HTTP/1.1\r\nHost: payalert\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\nX-Payalert-Signature: sha256=00\r\n\r\n" + b'{"id": "' + b"x" * 60
    )
    for _ in range(HANG_UPS):
        with socket.create_connection(("127.0.0.1", daemon.port), timeout=5) as sock:
            sock.sendall(request)
    # One lane, in order: once this payment is alerted, the daemon has handled every hang-up.
    assert post_payment(daemon, SOURCE, "after-hang-ups") == 202
    wait_delivered(daemon, {(SOURCE, "after-hang-ups")}, timeout=20)
    while_running = daemon.output()[log_from:].splitlines()
    exit_code = daemon.stop()
    at_exit = daemon.output()[log_from:].splitlines()[len(while_running) :]
    hang_up_lines = [line for line in while_running if "hung up" in line]
    summaries = [line for line in at_exit if "hung up" in line]
    reliability.record(
        "11b clients hanging up mid-request",
        tried=HANG_UPS,
        delivered=1,
        lost=0,
        duplicated=0,
        note=(
            f"{HANG_UPS} requests announced 1,000 bytes and hung up after {len(request)}: "
            f"{len(while_running)} log lines while running ({len(hang_up_lines)} about hang-ups), "
            f"{len(summaries)} summary at exit; exit {exit_code}; wall {time.monotonic() - started:.1f}s"
        ),
    )
    assert "Traceback" not in "\n".join(while_running + at_exit)
    assert len(hang_up_lines) == 1 and " INFO " in hang_up_lines[0], while_running
    assert len(while_running) <= 5, while_running
    assert summaries and f"{HANG_UPS - 1} more times" in summaries[0], at_exit
    assert exit_code == 0
