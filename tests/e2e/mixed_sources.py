"""Load for the fault scenarios: signed webhooks from client threads, bank mail into Dovecot, Binance
records into the fake Binance server, and a tally of what the recording notifier received.

Every loop here is bounded in count and time; a feed paced by ``Pacer`` waits for the webhook burst
to make progress, so the three streams really overlap instead of running one after the other.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from payalert_testing import DaemonProcess, DovecotServer, RecordedAlert

from ..webhook_client import signed_post

#: Status recorded for a request that got no HTTP answer (reset, refused, timed out).
NO_ANSWER = 0
#: Upper bound on how long any helper here waits for anything.
DEADLINE_SECONDS = 60.0


def is_2xx(status: int) -> bool:
    """True for an answer that means "stored" to a webhook sender."""
    return 200 <= status < 300


def post_payment(daemon: DaemonProcess, source: str, key: str, timeout: float = 10) -> int:
    """POST one signed webhook payment ``key``; its HTTP status, or ``NO_ANSWER``."""
    try:
        return signed_post(daemon, source, {"id": key, "amount": "1.00", "currency": "USD"}).status
    except (OSError, http.client.HTTPException):
        return NO_ANSWER


class WebhookBurst:
    """Client threads posting signed webhooks, each key once; remembers the status each one got.

    A thread stops at ``stop`` or when the daemon refuses connections (it is gone: a sender would
    try again later); the keys it did not get to stay unanswered, ready for ``resend``.
    """

    def __init__(self, daemon: DaemonProcess, source: str, keys: list[str], threads: int = 4) -> None:
        self.daemon = daemon
        self.source = source
        self.keys = keys
        self.status: dict[str, int] = {}
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._acked = 0
        self._threads = [
            threading.Thread(target=self._send, args=(keys[n::threads],), name=f"webhooks-{n}", daemon=True)
            for n in range(threads)
        ]

    def start(self) -> WebhookBurst:
        """Start the client threads."""
        for thread in self._threads:
            thread.start()
        return self

    def join(self, timeout: float = DEADLINE_SECONDS) -> None:
        """Wait for every thread; fail loudly if one hangs."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                raise TimeoutError(f"{thread.name} still sending after {timeout}s")

    def _send(self, keys: list[str]) -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        for key in keys:
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            try:
                status = signed_post(
                    self.daemon, self.source, {"id": key, "amount": "1.00", "currency": "USD"}
                ).status
            except ConnectionRefusedError:
                return  # nobody listens any more; the rest stays unanswered
            except (OSError, http.client.HTTPException):
                status = NO_ANSWER
            with self._lock:
                self.status[key] = status
                self._acked += is_2xx(status)

    @property
    def acked_count(self) -> int:
        """How many keys got a 2xx so far."""
        with self._lock:
            return self._acked

    def progress(self) -> float:
        """Share of keys acknowledged so far (0 to 1)."""
        return self.acked_count / len(self.keys)

    def acknowledged(self) -> list[str]:
        """Keys that got a 2xx, in key order."""
        with self._lock:
            return [key for key in self.keys if is_2xx(self.status.get(key, NO_ANSWER))]

    def unacknowledged(self) -> list[str]:
        """Keys that got no answer, a non-2xx answer, or were never sent."""
        with self._lock:
            return [key for key in self.keys if not is_2xx(self.status.get(key, NO_ANSWER))]

    def answered(self, status: int) -> list[str]:
        """Keys whose last answer was ``status``."""
        with self._lock:
            return [key for key in self.keys if self.status.get(key) == status]

    def resend(self, keys: Iterable[str], threads: int = 4) -> Counter[int]:
        """Send ``keys`` again, as a sender retrying later would (a few at a time); count the statuses."""
        keys = list(keys)
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="resend") as pool:
            statuses = list(pool.map(lambda key: post_payment(self.daemon, self.source, key), keys))
        with self._lock:
            for key, status in zip(keys, statuses, strict=True):
                self.status[key] = status
                self._acked += is_2xx(status)
        return Counter(statuses)


class Pacer:
    """Lets a feed add item ``i`` of ``n`` only once the burst is ``i / n`` done, until ``release()``."""

    def __init__(self, progress: Callable[[], float]) -> None:
        self.progress = progress
        self.released = threading.Event()

    def release(self) -> None:
        """From now on the feeds run at full speed."""
        self.released.set()

    def wait_turn(self, index: int, total: int, deadline: float) -> None:
        """Block until item ``index`` may go (or the deadline passes: then it goes anyway)."""
        share = index / total
        while not self.released.is_set() and self.progress() < share and time.monotonic() < deadline:
            self.released.wait(0.005)


class FeedThread:
    """Runs ``add(item)`` for each item in a thread, paced; keeps the first error to re-raise."""

    def __init__(self, name: str, items: list[Any], add: Callable[[Any], None], pacer: Pacer) -> None:
        self.items = items
        self.add = add
        self.pacer = pacer
        self.added = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> FeedThread:
        """Start feeding."""
        self.thread.start()
        return self

    def _run(self) -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        try:
            for index, item in enumerate(self.items):
                self.pacer.wait_turn(index, len(self.items), deadline)
                self.add(item)
                self.added += 1
        except BaseException as error:  # re-raised in the test thread by join()
            self.error = error

    def join(self, timeout: float = DEADLINE_SECONDS) -> None:
        """Wait until every item was added; raise what the thread raised."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise TimeoutError(f"{self.thread.name} added {self.added} of {len(self.items)} in {timeout}s")
        if self.error is not None:
            raise self.error


class MailAppender:
    """One logged-in IMAP client appending mail to INBOX (a fresh login per mail would be slow)."""

    def __init__(self, server: DovecotServer) -> None:
        self.server = server
        self._session = server.imap()
        self._client = self._session.__enter__()

    def append(self, message: bytes) -> None:
        """APPEND one message; raise when the server refuses it."""
        typ, data = self._client.append("INBOX", None, None, message)
        if typ != "OK":
            raise RuntimeError(f"APPEND failed: {data}")

    def close(self) -> None:
        """Log out."""
        self._session.__exit__(None, None, None)


def alert_keys(alerts: list[RecordedAlert]) -> list[tuple[str, str]]:
    """Each recorded alert as its payment's ``(source, external_id)``."""
    return [(alert.payment.source, alert.payment.external_id) for alert in alerts]


def wait_delivered(daemon: DaemonProcess, expected: set[tuple[str, str]], timeout: float) -> None:
    """Wait until every expected payment was alerted at least once (raise with what is missing)."""
    deadline = time.monotonic() + timeout
    while True:
        seen = {(a.payment.source, a.payment.external_id) for a in daemon.alerts()}
        if expected <= seen:
            return
        if time.monotonic() > deadline:
            missing = sorted(expected - seen)
            raise TimeoutError(
                f"{len(missing)} of {len(expected)} payments not alerted after {timeout}s, e.g. "
                f"{missing[:5]}\n{daemon.output()[-3000:]}"
            )
        time.sleep(0.1)


def wait_outbox_empty(daemon: DaemonProcess, timeout: float = 30) -> None:
    """Wait until ``/health`` shows no pending delivery (every send is recorded as sent)."""
    daemon.wait_for(lambda: daemon.health().json()["deliveries"]["pending"] == 0, timeout=timeout)
