"""The store: durable ingest on PostgreSQL against SQLite, one node against two, how long a dead
node's work takes to move, and how long the event loop stalls while another process holds
SQLite's write lock.

Ingest rounds alternate between the servers compared (as in ``ingest.py``) and report the median
of the rounds' ratios. The PostgreSQL server is a private cluster (``fsync`` on), started here.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ingest import client_label, drive, measure_rps, median_ratio, signed_requests, start_payalert, wait_http
from payalert_testing import DaemonFactory, DaemonProcess, PostgresServer
from payalert_testing.benchmarks import report_row
from payalert_testing.stall import LoopLag, hold_write_lock

from payalert_core import Direction, Payment
from payalert_core.store import Lane, SQLiteStore

ROUNDS = 3
CONCURRENCY = 32
#: How long another process holds SQLite's write lock in the stall figure.
HOLD_SECONDS = 2.0
#: The polled source's interval in the failover figures (the other settings are the defaults).
POLL_INTERVAL = 5.0


def url_of(port: int) -> str:
    return f"http://127.0.0.1:{port}/hooks/shop/"


def both(urls: list[str], prefix: str) -> float:
    """Requests per second of ``urls`` driven at once, the connections split between them."""
    with ThreadPoolExecutor(len(urls)) as pool:
        rates = pool.map(
            lambda item: measure_rps(item[1], f"{prefix}-{item[0]}", CONCURRENCY // len(urls)).rate,
            enumerate(urls),
        )
        return sum(rates)


def ingest_figures(server: PostgresServer, workdir: Path) -> None:
    """PostgreSQL against SQLite on one node; two PostgreSQL nodes against one."""
    url = server.create_database("bench")
    processes = []
    try:
        sqlite, sqlite_port = start_payalert(workdir / "sqlite")
        processes.append(sqlite)
        pg, pg_port = start_payalert(workdir / "pg1", store={"url": url})
        processes.append(pg)
        pg2, pg2_port = start_payalert(workdir / "pg2", store={"url": url})
        processes.append(pg2)
        for port in (sqlite_port, pg_port, pg2_port):
            wait_http(port)
            asyncio.run(drive(url_of(port), signed_requests(300, f"warm-{port}"), CONCURRENCY))
        rates: dict[str, list[float]] = {"sqlite": [], "pg": [], "two": []}
        for number in range(ROUNDS):
            rates["sqlite"].append(measure_rps(url_of(sqlite_port), f"s{number}", CONCURRENCY).rate)
            rates["pg"].append(measure_rps(url_of(pg_port), f"p{number}", CONCURRENCY).rate)
            rates["two"].append(both([url_of(pg_port), url_of(pg2_port)], f"t{number}"))
    finally:
        for process in processes:
            process.terminate()
            process.wait(20)
    client = f"{client_label(CONCURRENCY, ROUNDS)}; median of the rounds"
    ratio, spread = median_ratio(rates["pg"], rates["sqlite"])
    report_row(
        f"durable webhook ingest on PostgreSQL (same host, fsync on), one node, {client}",
        f"{statistics.median(rates['pg']):,.0f} req/s",
        f"SQLite: {statistics.median(rates['sqlite']):,.0f} req/s",
        f"{ratio:.2f} (rounds {spread})",
    )
    ratio, spread = median_ratio(rates["two"], rates["pg"])
    report_row(
        f"durable webhook ingest on PostgreSQL, two nodes (connections split), {client}",
        f"{statistics.median(rates['two']):,.0f} req/s",
        f"one node: {statistics.median(rates['pg']):,.0f} req/s",
        f"{ratio:.2f} (rounds {spread})",
    )


def failover_figures(server: PostgresServer, workdir: Path) -> None:
    """kill -9 of the node running everything: how long until the other polls, streams and sends."""
    url = server.create_database("failover")
    poll_feed, stream_feed = workdir / "poll.jsonl", workdir / "stream.jsonl"
    poll_feed.touch()
    stream_feed.touch()
    factory = DaemonFactory(workdir / "nodes")
    sources = {
        "polled": {"type": "feed-poll", "path": str(poll_feed), "interval": f"{POLL_INTERVAL}s", "jitter": 0},
        "stream": {"type": "feed-stream", "path": str(stream_feed)},
    }
    try:
        first = factory.start(sources=sources, settings={"store": {"url": url}}, wait_healthy=True)
        _wait(lambda: {"source:polled", "source:stream"} <= set(_store(first)["runs"]), 30)
        second = factory.start(sources=sources, settings={"store": {"url": url}})
        _append(stream_feed, "warm")
        _wait(lambda: "recorder/default" in _store(first)["lanes"], 30)
        time.sleep(1)
        killed = time.monotonic()
        first.kill()
        _append(stream_feed, "after-kill")
        polled = _wait(lambda: "source:polled" in _store(second)["runs"], 120) - killed
        streamed = _wait(lambda: "source:stream" in _store(second)["runs"], 120) - killed
        sent = (
            _wait(lambda: any(a.payment.external_id == "after-kill" for a in second.alerts()), 120) - killed
        )
    finally:
        factory.stop_all()
    report_row(
        f"failover after kill -9: polled source (interval {POLL_INTERVAL:.0f} s) running on the other node",
        f"{polled:.1f} s",
        target=f"≤ 2 intervals ({2 * POLL_INTERVAL:.0f} s)",
        met=polled <= 2 * POLL_INTERVAL,
    )
    report_row(
        "failover after kill -9: stream source (e.g. IMAP IDLE) running on the other node (takeover_check 5 s)",
        f"{streamed:.1f} s",
        target="≤ 30 s",
        met=streamed <= 30,
    )
    report_row(
        "failover after kill -9: delivery lane sent by the other node (lease 15 s)",
        f"{sent:.1f} s",
        target="≤ lease + 5 s",
        met=sent <= 20,
    )


def _store(node: DaemonProcess) -> dict:
    try:
        return node.health(timeout=2).json()["store"]
    except OSError:
        return {"runs": [], "lanes": []}


def _append(path: Path, ident: str) -> None:
    with path.open("a") as feed:
        feed.write(json.dumps({"id": ident, "amount": "1", "currency": "EUR"}) + "\n")


def _wait(condition, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the failover did not happen")
        time.sleep(0.05)
    return time.monotonic()


async def stall_figure(workdir: Path) -> None:
    """The worst event-loop lag while ingests wait for another process's write lock, and without."""
    store = SQLiteStore(workdir / "stall" / "payalert.sqlite3")
    await store.open()
    lane = Lane("console", "default")

    async def ingest_for(seconds: float, prefix: str) -> None:
        deadline = time.monotonic() + seconds
        number = 0
        while time.monotonic() < deadline:
            await asyncio.gather(
                *(store.ingest([_payment(f"{prefix}-{number}-{n}")], [lane], {}) for n in range(20))
            )
            number += 1

    try:
        async with LoopLag() as free:
            await ingest_for(HOLD_SECONDS, "free")
        holder = await asyncio.to_thread(hold_write_lock, store.path, HOLD_SECONDS)
        async with LoopLag() as locked:
            await ingest_for(HOLD_SECONDS + 0.5, "locked")
        await asyncio.to_thread(holder.wait, 30)
    finally:
        await store.close()
    report_row(
        f"event-loop stall while another process holds SQLite's write lock for {HOLD_SECONDS:.0f} s (ingests waiting)",
        f"{locked.worst * 1000:.1f} ms",
        f"no lock held: {free.worst * 1000:.1f} ms",
        target="≤ 50 ms",
        met=locked.worst <= 0.05,
    )


def _payment(external_id: str) -> Payment:
    return Payment(
        source="shop",
        kind="bench.payment",
        external_id=external_id,
        amount=Decimal("1"),
        currency="EUR",
        direction=Direction.IN,
        occurred_at=datetime.now(UTC),
        title="Bench",
    )


def main() -> None:
    """Measure and print the rows."""
    print(f"python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        asyncio.run(stall_figure(workdir))
        server = PostgresServer().start()
        try:
            ingest_figures(server, workdir)
            failover_figures(server, workdir)
        finally:
            server.close()


if __name__ == "__main__":
    main()
