"""Durable webhook ingest vs the floor (and a bare aiohttp handler), idle RSS and time to a healthy /health.

Every server runs as a separate process on loopback and is driven by the same client with the
same concurrency. Rounds alternate between the servers and the ratio is the median of the
rounds' ratios, so a machine that speeds up or slows down during the run moves both sides.

Beside payalert and the bare handler runs a third server, the floor: the least a durable handler
can do in Python (HMAC check, JSON, one SQLite insert per event and per delivery, group commit with
``fsync``), with nothing payalert adds (no payment model, filters, hooks, metrics or delivery). payalert's
target is 0.8 of the floor; the floor's own share of the bare handler's rate shows what
durability alone costs on this machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import aiohttp
import yaml
from payalert_testing import free_port
from payalert_testing.benchmarks import report_row

from payalert_core import sign_sha256
from payalert_core.sources.webhook import SIGNATURE_HEADER

SECRET = b"bench-secret-0123456789abcdef"
LUA_SCRIPT = Path(__file__).with_name("signed_requests.lua")
#: Rounds of the ingest comparison, and seconds each server is driven per round.
ROUNDS = 5
ROUND_SECONDS = 4
#: Requests a round sends when the aiohttp client drives it (``wrk`` is not installed).
REQUESTS_PER_ROUND = 4000
BARE_SERVER = """
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.Response(status=202, text='{"stored": 1}')
app = web.Application()
app.router.add_post("/hooks/shop/", ok)
app.router.add_get("/health", lambda r: web.Response(text="ok"))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""
FLOOR_SERVER = """
import asyncio, hmac, json, sqlite3, sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from aiohttp import web

SECRET, DB = sys.argv[2].encode(), sys.argv[3]
db = sqlite3.connect(DB, isolation_level=None, check_same_thread=False)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, external_id TEXT UNIQUE, body TEXT)")
db.execute("CREATE TABLE deliveries (id INTEGER PRIMARY KEY, event_id INTEGER, status TEXT)")
decoder = json.JSONDecoder(parse_float=Decimal)
committer = ThreadPoolExecutor(1)
queue, wakeup = [], asyncio.Event()

async def write_groups():
    global queue
    while True:
        await wakeup.wait()
        wakeup.clear()
        group, queue = queue, []
        db.execute("BEGIN IMMEDIATE")
        (last,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
        db.executemany("INSERT INTO events (external_id, body) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       [row for row, _ in group])
        new = db.execute("SELECT id FROM events WHERE id > ?", (last,)).fetchall()
        db.executemany("INSERT INTO deliveries (event_id, status) VALUES (?, 'pending')", new)
        await asyncio.get_running_loop().run_in_executor(committer, db.execute, "COMMIT")
        for _, stored in group:
            stored.set_result(None)

async def receive(request):
    body = await request.read()
    signature = request.headers.get("X-Payalert-Signature", "")[7:]
    if not hmac.compare_digest(bytes.fromhex(signature), hmac.digest(SECRET, body, "sha256")):
        return web.Response(status=401)
    data = decoder.decode(body.decode())
    stored = asyncio.get_running_loop().create_future()
    queue.append(((str(data["id"]), body.decode()), stored))
    wakeup.set()
    await stored
    return web.Response(status=202, text='{"stored": 1}')

async def start_writer(app):
    app["writer"] = asyncio.create_task(write_groups())

app = web.Application()
app.router.add_post("/hooks/shop/", receive)
app.router.add_get("/health", lambda r: web.Response(text="ok"))
app.on_startup.append(start_writer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def signed_requests(count: int, prefix: str) -> list[tuple[bytes, dict[str, str]]]:
    """Pre-built signed bodies, unique ids so every one is a new event."""
    requests = []
    for number in range(count):
        body = json.dumps(
            {"id": f"{prefix}-{number}", "amount": "12.50", "currency": "INR", "title": "Order"}
        ).encode()
        requests.append(
            (body, {SIGNATURE_HEADER: sign_sha256(SECRET, body), "Content-Type": "application/json"})
        )
    return requests


async def drive(url: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int) -> float:
    """Send every request with ``concurrency`` connections; return requests per second."""
    queue = list(reversed(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while queue:
                body, headers = queue.pop()
                async with session.post(url, data=body, headers=headers) as answer:
                    await answer.read()
                    if answer.status != 202:
                        raise RuntimeError(f"unexpected status {answer.status}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(requests) / (time.perf_counter() - started)


class Round(NamedTuple):
    """One server driven for one round."""

    rate: float  # requests per second
    requests: int  # how many were sent


def drive_with_wrk(url: str, prefix: str, seconds: int, concurrency: int) -> Round:
    """The rate ``wrk`` sustains against ``url`` with unique signed bodies."""
    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
        for body, headers in signed_requests(100_000, prefix):
            file.write(f"{headers[SIGNATURE_HEADER]}\t{body.decode()}\n")
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{concurrency}",
                f"-d{seconds}s",
                "-s",
                str(LUA_SCRIPT),
                url,
                "--",
                file.name,
                str(threads),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(file.name)
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk saw failed requests:\n{output}")
    return Round(
        float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        int(re.search(r"(\d+) requests in", output).group(1)),
    )


def measure_rps(url: str, prefix: str, concurrency: int) -> Round:
    """wrk when installed (less client CPU on a small machine), else the aiohttp client."""
    if shutil.which("wrk"):
        return drive_with_wrk(url, prefix, ROUND_SECONDS, concurrency)
    requests = signed_requests(REQUESTS_PER_ROUND, prefix)
    return Round(asyncio.run(drive(url, requests, concurrency)), len(requests))


def client_label(concurrency: int, rounds: int) -> str:
    """How :func:`measure_rps` drives a server, for a row's description."""
    if shutil.which("wrk"):
        return f"`wrk`, 2 threads × {concurrency} connections, {rounds} rounds of {ROUND_SECONDS} s"
    return f"aiohttp client, {concurrency} connections, {rounds} rounds of {REQUESTS_PER_ROUND:,} requests"


def loop_cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) used so far by the main thread of process ``pid``: the thread
    that runs its event loop, and with it everything the server does for a request but commit."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_http(port: int, timeout: float = 20) -> float:
    """Seconds until GET /health answers 200."""
    import http.client

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
    raise TimeoutError(f"nothing answered on port {port}")


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def wait_delivered(port: int, timeout: float = 300) -> None:
    """Wait (untimed) until the daemon has no delivery pending, so that the alerts of one round are
    not sent during another server's round, on the cores that server is measured on."""
    import http.client

    from prometheus_client.parser import text_string_to_metric_families

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
        finally:
            connection.close()
        pending = [
            sample.value
            for family in text_string_to_metric_families(text)
            if family.name == "payalert_deliveries_waiting"
            for sample in family.samples
            if sample.labels.get("status") == "pending"
        ]
        if pending and sum(pending) == 0:
            return
        time.sleep(0.05)
    raise TimeoutError(f"deliveries still pending after {timeout:.0f} s")


def start_payalert(workdir: Path, **settings: object) -> tuple[subprocess.Popen, int]:
    """A daemon with the webhook source and the console notifier (output discarded); ``settings``
    are added to its config (e.g. ``store``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = {
        "data_dir": str(workdir / "data"),
        "log_level": "WARNING",
        "server": {"host": "127.0.0.1", "port": port},
        "sources": {"shop": {"type": "webhook", "secret": SECRET.decode()}},
        "notifiers": {"console": {"type": "console"}},
        **settings,
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    process = subprocess.Popen(
        [sys.executable, "-m", "payalert_core", "run", "--config", str(workdir / "config.yaml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, port


def daemon_modules() -> list[str]:
    """Every module (standard library and third-party) the idle daemon has imported, minus its own."""
    code = (
        "import sys\n"
        "import payalert_core.cli, payalert_core.daemon\n"
        "from payalert_core.plugins import get_plugin_manager\n"
        "get_plugin_manager()\n"
        "print(' '.join(sorted(m for m in sys.modules if not m.startswith(('payalert', '__')))))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()


def baseline_rss() -> float:
    """RSS of a bare interpreter importing the same modules as the idle daemon, and nothing else."""
    code = (
        "import importlib, sys, time\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        pass\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, *daemon_modules()], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        return rss_mb(process.pid)
    finally:
        process.kill()


def start_server(code: str, *args: str) -> tuple[subprocess.Popen, str]:
    """One of the reference servers, answering on its webhook URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", code, str(port), *args])
    wait_http(port)
    return process, f"http://127.0.0.1:{port}/hooks/shop/"


def median_ratio(rates: list[float], baselines: list[float]) -> tuple[float, str]:
    """The median of the rounds' ratios, and their range as text."""
    ratios = sorted(rate / baseline for rate, baseline in zip(rates, baselines, strict=True))
    return statistics.median(ratios), f"{ratios[0]:.2f}–{ratios[-1]:.2f}"


def run(concurrency: int = 32) -> None:
    """Measure and report each figure."""
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        daemon, port = start_payalert(workdir)
        servers = [daemon]
        try:
            healthy_after = wait_http(port)
            time.sleep(2)
            idle_rss = rss_mb(daemon.pid)
            bare, bare_url = start_server(BARE_SERVER)
            servers.append(bare)
            floor, floor_url = start_server(FLOOR_SERVER, SECRET.decode(), str(workdir / "floor.db"))
            servers.append(floor)
            urls = {"bare": bare_url, "floor": floor_url, "payalert": f"http://127.0.0.1:{port}/hooks/shop/"}
            pids = {"bare": bare.pid, "floor": floor.pid, "payalert": daemon.pid}
            for name, url in urls.items():
                asyncio.run(drive(url, signed_requests(500, f"warm-{name}"), concurrency))
            wait_delivered(port)
            rates: dict[str, list[float]] = {name: [] for name in urls}
            loop_cpu: dict[str, list[float]] = {name: [] for name in urls}  # µs per request
            for number in range(ROUNDS):
                for name, url in urls.items():
                    before = loop_cpu_seconds(pids[name])
                    measured = measure_rps(url, f"{name}-{number}", concurrency)
                    rates[name].append(measured.rate)
                    loop_cpu[name].append((loop_cpu_seconds(pids[name]) - before) / measured.requests * 1e6)
                    if name == "payalert":
                        wait_delivered(port)
        finally:
            for server in servers:
                server.terminate()
                server.wait(20)
    base_rss = baseline_rss()
    client = client_label(concurrency, ROUNDS)
    bare_rps = statistics.median(rates["bare"])
    floor_rps = statistics.median(rates["floor"])
    ratio, spread = median_ratio(rates["payalert"], rates["floor"])
    report_row(
        f"durable webhook ingest on SQLite (signed, stored, enqueued), {client}; median of the rounds",
        f"{statistics.median(rates['payalert']):,.0f} req/s",
        f"the floor, a minimal durable handler: {floor_rps:,.0f} req/s",
        f"{ratio:.2f} (rounds {spread})",
        "≥ 0.8",
        ratio >= 0.8,
    )
    floor_ratio, floor_spread = median_ratio(rates["floor"], rates["bare"])
    report_row(
        "the floor: a minimal durable handler (HMAC, JSON, SQLite insert, group commit; nothing else), same rounds",
        f"{floor_rps:,.0f} req/s",
        f"bare aiohttp handler: {bare_rps:,.0f} req/s",
        f"{floor_ratio:.2f} (rounds {floor_spread})",
    )
    payalert_cpu, floor_cpu, bare_cpu = (
        statistics.median(loop_cpu[name]) for name in ("payalert", "floor", "bare")
    )
    report_row(
        "event-loop thread CPU per request (user and system), same rounds, median of the rounds; "
        "while each server is limited by its loop, the ingest ratio is the floor's CPU over payalert's",
        f"{payalert_cpu:.0f} µs",
        f"the floor: {floor_cpu:.0f} µs, so 0.8 needs ≤ {floor_cpu / 0.8:.0f} µs "
        f"(bare aiohttp handler: {bare_cpu:.0f} µs)",
        f"{floor_cpu / payalert_cpu:.2f}",
    )
    report_row(
        "idle RSS, daemon with every installed plugin",
        f"{idle_rss:.1f} MiB",
        f"bare interpreter importing the same modules: {base_rss:.1f} MiB",
        f"{idle_rss / base_rss:.2f}",
        "≤ 70 MiB and ≤ 1.15×",
        idle_rss <= 70 and idle_rss / base_rss <= 1.15,
    )
    report_row(
        "`payalert run` to a healthy `/health`",
        f"{healthy_after:.2f} s",
        target="≤ 1 s",
        met=healthy_after <= 1.0,
    )


def main() -> None:
    """Measure and print the rows."""
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    run()


if __name__ == "__main__":
    main()
