"""Durable webhook ingest vs a bare aiohttp handler, idle RSS and time to a healthy /health.

Both servers run as separate processes on loopback and are driven by the same aiohttp client with
the same concurrency, so the ratio compares like with like on this machine, in this run.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import yaml

from payalert_core import sign_sha256
from payalert_core.sources.webhook import SIGNATURE_HEADER
from payalert_core.testing import free_port
from payalert_core.testing.benchmarks import report_row

SECRET = b"bench-secret-0123456789abcdef"
LUA_SCRIPT = Path(__file__).with_name("signed_requests.lua")
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


def drive_with_wrk(url: str, prefix: str, seconds: int, concurrency: int) -> float:
    """Requests per second that ``wrk`` sustains against ``url`` with unique signed bodies."""
    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
        for body, headers in signed_requests(150_000, prefix):
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
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def measure_rps(url: str, prefix: str, concurrency: int) -> float:
    """wrk when installed (less client CPU on a small machine), else the aiohttp client."""
    if shutil.which("wrk"):
        return drive_with_wrk(url, prefix, 10, concurrency)
    return asyncio.run(drive(url, signed_requests(4000, prefix), concurrency))


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


def start_payalert(workdir: Path) -> tuple[subprocess.Popen, int]:
    """A daemon with the webhook source and the console notifier (output discarded)."""
    port = free_port()
    config = {
        "data_dir": str(workdir / "data"),
        "log_level": "WARNING",
        "server": {"host": "127.0.0.1", "port": port},
        "sources": {"shop": {"type": "webhook", "secret": SECRET.decode()}},
        "notifiers": {"console": {"type": "console"}},
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


def run(concurrency: int = 32) -> None:
    """Measure and report each figure."""
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        bare_port = free_port()
        bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port)])
        try:
            wait_http(bare_port)
            asyncio.run(
                drive(f"http://127.0.0.1:{bare_port}/hooks/shop/", signed_requests(500, "warm"), concurrency)
            )
            bare_rps = measure_rps(f"http://127.0.0.1:{bare_port}/hooks/shop/", "b", concurrency)
        finally:
            bare.kill()

        daemon, port = start_payalert(workdir)
        try:
            healthy_after = wait_http(port)
            time.sleep(2)
            idle_rss = rss_mb(daemon.pid)
            url = f"http://127.0.0.1:{port}/hooks/shop/"
            asyncio.run(drive(url, signed_requests(500, "warm"), concurrency))
            payalert_rps = measure_rps(url, "p", concurrency)
        finally:
            daemon.terminate()
            daemon.wait(20)
    base_rss = baseline_rss()
    client = (
        "`wrk`, 2 threads × 32 connections, 10 s" if shutil.which("wrk") else "aiohttp client, 32 connections"
    )
    ratio = payalert_rps / bare_rps
    report_row(
        f"durable webhook ingest (signed, stored, enqueued), {client}",
        f"{payalert_rps:,.0f} req/s",
        f"bare aiohttp handler: {bare_rps:,.0f} req/s",
        f"{ratio:.2f}",
        "≥ 0.5",
        ratio >= 0.5,
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
