"""Scenario 7: SIGTERM while client threads post signed webhooks.

Client threads keep posting until the daemon stops listening. Three requests were sent whole
before the signal but their answers are read only after the daemon closed its port: they must be
2xx. Every request the daemon stored must have been answered (a resend of a stored but unanswered
one would come back 200 "duplicate"; there must be none). One more request is still mid-body when
the signal arrives: aiohttp ignores data arriving after shutdown begins, so it gets no answer and
the stop waits out the grace period; the test measures that and resends it like the others.
The daemon must exit 0 within its grace period; after a restart every webhook is alerted exactly once.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time

from payalert_testing import DaemonFactory, DaemonProcess

from payalert_core import sign_sha256
from payalert_core.sources.webhook import SIGNATURE_HEADER

from ..webhook_client import SECRET, webhook_source
from .mixed_sources import WebhookBurst, alert_keys, is_2xx, wait_delivered, wait_outbox_empty
from .tallying import tally

WEBHOOKS = 900
HELD = 3
GRACE_SECONDS = 3
#: Exit may take the grace period plus interpreter start-up and teardown; beyond this it hung.
EXIT_BOUND_SECONDS = GRACE_SECONDS + 15


class HeldRequest:
    """A signed webhook on its own connection: headers first (the daemon answers ``100 Continue``
    once its handler runs), then the body, then the answer, each step when the test says."""

    def __init__(self, daemon: DaemonProcess, source: str, key: str) -> None:
        self.key = key
        self.body = json.dumps({"id": key, "amount": "5.00", "currency": "EUR"}).encode()
        head = (
            f"POST /hooks/{source}/ HTTP/1.1\r\nHost: 127.0.0.1:{daemon.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(self.body)}\r\n"
            f"{SIGNATURE_HEADER}: {sign_sha256(SECRET, self.body)}\r\nExpect: 100-continue\r\n\r\n"
        )
        self.sock = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
        self.sock.sendall(head.encode())
        self._buffer = b""
        interim = self._read_head()
        if not interim.startswith(b"HTTP/1.1 100"):
            raise AssertionError(f"expected 100 Continue, got {interim[:80]!r}")

    def _read_head(self) -> bytes:
        for _ in range(1000):  # bounded: a head is a few hundred bytes
            if b"\r\n\r\n" in self._buffer:
                head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
                return head
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"closed before a full answer: {self._buffer[:80]!r}")
            self._buffer += chunk
        raise ConnectionError("no end of headers")

    def send_body(self) -> None:
        """Send the body (the request is then complete)."""
        self.sock.sendall(self.body)

    def answer(self) -> int:
        """Read the final status (0 when the connection was dropped instead)."""
        try:
            status_line = self._read_head().split(b"\r\n", 1)[0]
            return int(status_line.split()[1])
        except OSError:
            return 0
        finally:
            self.sock.close()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_sigterm_under_load_finishes_accepted_requests_and_loses_nothing(
    payalert_daemon: DaemonFactory, reliability
) -> None:
    started = time.monotonic()
    daemon = payalert_daemon.start(
        sources={"shop": webhook_source()},
        recorder={"delay": "0.002s"},  # a slow notifier: deliveries are still pending at SIGTERM
        settings={"server": {"shutdown_grace": f"{GRACE_SECONDS}s"}},
    )
    assert daemon.process is not None
    keys = [f"t-{number:04d}" for number in range(WEBHOOKS)]
    held = [HeldRequest(daemon, "shop", f"held-{number}") for number in range(HELD)]
    mid_body = HeldRequest(daemon, "shop", "mid-body")
    burst = WebhookBurst(daemon, "shop", keys).start()
    daemon.wait_for(lambda: burst.acked_count >= WEBHOOKS // 3, timeout=60, interval=0.01)

    for request in held:
        request.send_body()
    pending_at_stop = daemon.health().json()["deliveries"]["pending"]
    signalled_at = time.monotonic()
    daemon.process.send_signal(signal.SIGTERM)
    daemon.wait_for(lambda: not _listening(daemon.port), timeout=EXIT_BOUND_SECONDS, interval=0.01)
    mid_body.send_body()
    held_statuses = {request.key: request.answer() for request in held}
    mid_body_status = mid_body.answer()
    try:
        exit_code = daemon.process.wait(EXIT_BOUND_SECONDS)
    except subprocess.TimeoutExpired:
        exit_code = None
    stop_seconds = time.monotonic() - signalled_at
    burst.join()
    acked_before_stop = set(burst.acknowledged()) | {k for k, s in held_statuses.items() if is_2xx(s)}
    unanswered = burst.unacknowledged()
    refused = len(burst.answered(503))

    daemon.start()
    resent = burst.resend(unanswered)
    resent_held = burst.resend([key for key, status in held_statuses.items() if not is_2xx(status)])
    resent_mid_body = burst.resend([] if is_2xx(mid_body_status) else [mid_body.key])
    expected = {("shop", key) for key in [*keys, *held_statuses, mid_body.key]}
    wait_delivered(daemon, expected, timeout=60)
    wait_outbox_empty(daemon)
    result = tally(expected, alert_keys(daemon.alerts()))
    elapsed = time.monotonic() - started
    reliability.record_tally(
        "7 SIGTERM under load",
        result,
        note=(
            f"{len(acked_before_stop)} acked before exit ({pending_at_stop} deliveries pending at SIGTERM), "
            f"{HELD} read after stop began got {sorted(held_statuses.values())}, mid-body got "
            f"{mid_body_status}; {len(unanswered)} resent ({refused} had 503, "
            f"{resent.get(200, 0)} already stored); exit {exit_code} "
            f"in {stop_seconds:.1f}s (grace {GRACE_SECONDS}s); wall {elapsed:.1f}s"
        ),
    )
    assert exit_code == 0, f"exit code {exit_code} after SIGTERM:\n{daemon.output()[-3000:]}"
    assert pending_at_stop > 0, "every delivery was done before SIGTERM: the restart tested nothing"
    assert all(is_2xx(status) for status in held_statuses.values()), held_statuses
    assert 0 < len(unanswered) < WEBHOOKS, "SIGTERM did not land in the middle of the burst"
    resent_all = resent + resent_held + resent_mid_body
    assert all(is_2xx(status) for status in resent_all), resent_all
    assert resent_all.get(200, 0) == 0, "a request was stored but its sender got no answer"
    assert result.unexpected == []
    assert result.lost == [], f"lost {len(result.lost)}: {result.lost[:10]}"
    assert result.duplicated == {}, f"a graceful stop must not repeat alerts: {result.duplicated}"
