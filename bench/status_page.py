"""``GET /status/`` on a store holding 10,000 payments of the last 30 days.

A real ``payalert run`` opens a store filled (through the store's own ingest) with 10,000 payments
spread over the last 30 days in three currencies, in and out, with a notice every tenth and a
delivery each (a few hundred pending or failed). A logged-in client requests the page one at a time
over one keep-alive connection; the baseline is ``GET /health`` with the token (the full document,
counts kept in memory), timed on the same daemon in the same run. Target: p95 < 50 ms.

The page keeps its totals between renders and reads only the payments stored since; the first
render of a day counts the 30 days afresh, and is reported on a row of its own.

Run: ``python bench/status_page.py`` (about half a minute).
"""

from __future__ import annotations

import asyncio
import http.client
import statistics
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path

from payalert_testing.benchmarks import report_row
from payalert_testing.daemon import HEALTH_TOKEN, DaemonFactory

from payalert_core import Direction, Payment
from payalert_core.statuspage.passwords import hash_password
from payalert_core.store import Lane, SQLiteStore

PAYMENTS = 10_000
BATCH = 500
REQUESTS = 200
PASSWORD = "benchmark password"
TARGET_P95_MS = 50.0
CURRENCIES = ("INR", "USDT", "USD")


def sample_payment(number: int, now: datetime) -> Payment:
    """One of the stored payments: spread over 30 days, every tenth a notice, every seventh sent out."""
    notice = number % 10 == 0
    direction = Direction.NONE if notice else Direction.OUT if number % 7 == 0 else Direction.IN
    return Payment(
        source="shop",
        kind="webhook.payment",
        external_id=f"order-{number}",
        amount=None if notice else Decimal(100 + number % 977) + Decimal("0.25"),
        currency=None if notice else CURRENCIES[number % len(CURRENCIES)],
        direction=direction,
        occurred_at=now - timedelta(seconds=number * 30 * 86400 / PAYMENTS),
        title=f"Order #{number}",
        counterparty=f"Customer {number % 313}",
    )


async def fill(path: Path) -> None:
    """``PAYMENTS`` payments with one delivery each; 200 of them failed, 100 retrying, the rest sent."""
    store = SQLiteStore(path)
    await store.open()
    try:
        now = datetime.now(UTC)
        lanes = [Lane("recorder", "default")]
        for start in range(0, PAYMENTS, BATCH):
            batch = [sample_payment(number, now) for number in range(start, start + BATCH)]
            await store.ingest(batch, lanes, {("source:shop", "cursor"): start})

        def settle(connection):
            connection.execute("UPDATE deliveries SET status = 'sent' WHERE id > 300")
            connection.execute("UPDATE deliveries SET status = 'failed', last_error = 'x' WHERE id <= 200")
            connection.execute("UPDATE deliveries SET attempts = 1, next_attempt_at = 4e9 WHERE id <= 300")

        await store.write(settle)
    finally:
        await store.close()


def timed_gets(
    port: int, path: str, headers: dict[str, str], expect: bytes, requests: int = REQUESTS
) -> list[float]:
    """Milliseconds per ``GET path``, one at a time on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        samples.append((time.perf_counter() - started) * 1000)
        if answer.status != 200 or expect not in body:
            raise RuntimeError(f"GET {path} answered {answer.status} without {expect!r}")
    connection.close()
    return samples


def log_in(port: int) -> dict[str, str]:
    """The cookie header of a fresh session."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urllib.parse.urlencode({"password": PASSWORD})
    connection.request("POST", "/status/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
    answer = connection.getresponse()
    answer.read()
    connection.close()
    cookie = SimpleCookie(answer.headers["Set-Cookie"])["payalert_status"]
    return {"Cookie": f"payalert_status={cookie.value}"}


def p(samples: list[float], percentile: int) -> float:
    """The ``percentile``-th percentile of ``samples``."""
    return statistics.quantiles(samples, n=100, method="inclusive")[percentile - 1]


def main() -> int:
    """Fill, measure, report; 0 when the page's p95 meets the target."""
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        started = time.perf_counter()
        asyncio.run(fill(data_dir / "payalert.sqlite3"))
        print(f"filled {PAYMENTS:,} payments in {time.perf_counter() - started:.1f} s")
        factory = DaemonFactory(Path(folder))
        try:
            daemon = factory.start(
                sources={"shop": {"type": "webhook", "secret": "bench-status-secret-0123456789"}},
                settings={
                    "data_dir": str(data_dir),
                    "log_level": "WARNING",
                    "status_page": {"enabled": True, "password_hash": hash_password(PASSWORD)},
                },
                recorder={"delay": "1h"},  # keeps the failed and retrying deliveries as they are
            )
            cookie = log_in(daemon.port)
            (first,) = timed_gets(daemon.port, "/status/", cookie, b"Order #9999<", requests=1)
            page = timed_gets(daemon.port, "/status/", cookie, b"Order #9999<")
            health = timed_gets(daemon.port, "/health", {"Authorization": f"Bearer {HEALTH_TOKEN}"}, b"ok")
        finally:
            factory.stop_all()
    p50, p95 = statistics.median(page), p(page, 95)
    baseline = statistics.median(health)
    print(
        f"/status/ with {PAYMENTS:,} payments: p50 {p50:.1f} ms, p95 {p95:.1f} ms; /health {baseline:.2f} ms"
    )
    report_row(
        f"GET /status/ with {PAYMENTS:,} payments, p50 / p95",
        f"{p50:.1f} / {p95:.1f} ms",
        baseline=f"GET /health (full document): {baseline:.2f} ms",
        ratio=f"{p50 / baseline:.1f}",
        target=f"p95 < {TARGET_P95_MS:.0f} ms",
        met=p95 < TARGET_P95_MS,
    )
    report_row(
        "GET /status/, first of the day (30 days of totals counted afresh)",
        f"{first:.1f} ms",
        baseline=f"GET /health (full document): {baseline:.2f} ms",
        ratio=f"{first / baseline:.0f}",
    )
    return 0 if p95 < TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
