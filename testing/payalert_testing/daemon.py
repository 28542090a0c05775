"""Start and drive a real ``payalert run`` subprocess on a free loopback port."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .recorder import RecordedAlert, read_recorded

TEST_PLUGINS = ("payalert_testing.recorder", "payalert_testing.feeds")
#: The ``health.token`` of every test daemon: ``health()`` and ``metrics()`` send it.
HEALTH_TOKEN = "test-health-token-0123456789"
PLUGIN_SELECTION_VARIABLES = ("PAYALERT_EXTRA_PLUGINS", "PAYALERT_DISABLED_PLUGINS")


def run_python(
    *args: str, env: dict[str, str] | None = None, cwd: Path | str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a fresh process that sees installed plugins only (as a user's would).

    Plugin-selection variables of the test run (``PAYALERT_EXTRA_PLUGINS``,
    ``PAYALERT_DISABLED_PLUGINS``) are dropped; ``env`` adds or overrides variables.
    ``run_python("-m", "payalert_core", "plugins")`` runs the CLI.
    """
    clean = {k: v for k, v in os.environ.items() if k not in PLUGIN_SELECTION_VARIABLES}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Response:
    """An HTTP answer from the daemon."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class DaemonProcess:
    """One ``payalert run`` subprocess with its config, data dir, log and recorder file."""

    def __init__(
        self, workdir: Path, config: dict[str, Any], env: dict[str, str], open_files: int | None = None
    ) -> None:
        self.workdir = workdir
        self.config = config
        self.env = env
        self.open_files = open_files
        self.port: int = config["server"]["port"]
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = workdir / "config.yaml"
        self.data_dir = Path(config["data_dir"])
        self.log_path = workdir / "daemon.log"
        self.record_path = workdir / "recorded.jsonl"
        self.health_token: str | None = (config.get("health") or {}).get("token")
        self.process: subprocess.Popen[bytes] | None = None
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    # -- process ---------------------------------------------------------------------------
    def start(self, wait_healthy: bool = True, timeout: float = 20) -> DaemonProcess:
        """Start the process; by default wait until ``/health`` answers."""
        log = self.log_path.open("ab")
        # util-linux's prlimit sets the limit before exec: safe with threads, unlike preexec_fn.
        limit = ["prlimit", f"--nofile={self.open_files}", "--"] if self.open_files else []
        self.process = subprocess.Popen(
            [*limit, sys.executable, "-m", "payalert_core", "run", "--config", str(self.config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.workdir,
        )
        log.close()
        if wait_healthy:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 20) -> None:
        """Wait until the HTTP server answers ``/health`` (with any status)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"payalert exited with {self.process.returncode}:\n{self.output()}")
            try:
                self.request("GET", "/health", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"payalert did not answer /health within {timeout}s:\n{self.output()}")

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM and wait; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def reload(self, config: dict[str, Any] | None = None) -> None:
        """Optionally rewrite the config file with ``config``, then send SIGHUP to reload it."""
        if config is not None:
            self.config = config
            self.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        assert self.process is not None and self.process.poll() is None, "payalert is not running"
        self.process.send_signal(signal.SIGHUP)

    def restart(self, wait_healthy: bool = True) -> DaemonProcess:
        """Stop (gracefully if still running) and start again on the same port and data."""
        self.stop()
        return self.start(wait_healthy=wait_healthy)

    def output(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def cli(
        self, *args: str, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run ``payalert ARGS`` against this daemon's config."""
        return subprocess.run(
            [sys.executable, "-m", "payalert_core", *args],
            capture_output=True,
            text=True,
            input=input,
            env={**self.env, "PAYALERT_CONFIG": str(self.config_path)},
            cwd=self.workdir,
            timeout=timeout,
        )

    # -- HTTP ------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> Response:
        """One HTTP request to the daemon over a fresh connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return Response(answer.status, dict(answer.getheaders()), answer.read())
        finally:
            connection.close()

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> Response:
        """POST ``body`` to ``path`` (e.g. ``/hooks/my-source/``)."""
        return self.request("POST", path, body, headers)

    def health(self, timeout: float = 10) -> Response:
        """``GET /health`` with the health token: the full document."""
        return self.request("GET", "/health", headers=self._bearer(), timeout=timeout)

    def metrics(self) -> str:
        """``GET /metrics`` (with the health token) as text."""
        return self.request("GET", "/metrics", headers=self._bearer()).body.decode()

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.health_token}"} if self.health_token else {}

    # -- alerts ----------------------------------------------------------------------------
    def alerts(self) -> list[RecordedAlert]:
        """What the recording notifier has received so far."""
        return read_recorded(self.record_path)

    def wait_for_alerts(self, count: int, timeout: float = 15) -> list[RecordedAlert]:
        """Wait until at least ``count`` alerts were recorded; return all of them."""
        deadline = time.monotonic() + timeout
        while True:
            alerts = self.alerts()
            if len(alerts) >= count:
                return alerts
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(alerts)} of {count} alerts after {timeout}s:\n{self.output()[-4000:]}"
                )
            time.sleep(0.05)

    def wait_for(self, predicate: Any, timeout: float = 15, interval: float = 0.05) -> Any:
        """Poll ``predicate()`` until it returns something truthy; return that."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s:\n{self.output()[-4000:]}")
            time.sleep(interval)


class DaemonFactory:
    """Builds a config around the sources you give, plus a ``recorder`` notifier, and starts it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[DaemonProcess] = []

    def start(
        self,
        sources: dict[str, Any] | None = None,
        notifiers: dict[str, Any] | None = None,
        recorder: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        extra_plugins: tuple[str, ...] = (),
        wait_healthy: bool = True,
        open_files: int | None = None,
    ) -> DaemonProcess:
        """Write ``config.yaml`` and start ``payalert run``.

        ``recorder`` holds extra options of the recording notifier (``delay``, ``fail_first``…);
        pass ``notifiers`` to add others. ``settings`` are merged into the top level of the config.
        The config sets ``health.token`` to ``HEALTH_TOKEN``, so ``health()`` shows every detail.
        ``open_files`` sets the daemon's open-file limit (RLIMIT_NOFILE, with util-linux's ``prlimit``).
        """
        workdir = self.tmp_path / f"daemon{len(self.started)}"
        workdir.mkdir(parents=True)
        config: dict[str, Any] = {
            "server": {"host": "127.0.0.1", "port": free_port()},
            "data_dir": str(workdir / "data"),
            "log_level": "INFO",
            "health": {"token": HEALTH_TOKEN},
            "sources": sources or {},
            "notifiers": {
                "recorder": {"type": "recorder", "path": str(workdir / "recorded.jsonl"), **(recorder or {})}
            },
        }
        config["notifiers"].update(notifiers or {})
        for key, value in (settings or {}).items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key] = {**config[key], **value}
            else:
                config[key] = value
        plugins = ",".join((*TEST_PLUGINS, *extra_plugins))
        full_env = {**os.environ, "PAYALERT_EXTRA_PLUGINS": plugins, "PYTHONUNBUFFERED": "1", **(env or {})}
        daemon = DaemonProcess(workdir, config, full_env, open_files)
        self.started.append(daemon)
        return daemon.start(wait_healthy=wait_healthy)

    def stop_all(self) -> None:
        """Kill every daemon this factory started."""
        for daemon in self.started:
            daemon.kill()
