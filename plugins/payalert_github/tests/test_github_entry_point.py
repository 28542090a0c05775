"""payalert finds this plugin only through its ``payalert`` entry point, and runs without it.

The test builds a plain virtualenv whose only view of the installed packages is a mirror of this
interpreter's site-packages with the payalert-github distribution left out. Before installing the
plugin into it, ``payalert`` must not know ``type: github`` (even with the module importable); after
``pip install --no-deps --no-build-isolation --no-index`` of a copy of this folder, it must, and the
daemon must serve signed deliveries.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import site
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from payalert_github.samples import sample_payload
from payalert_testing import free_port
from payalert_testing.github import SECRET

from payalert_core import sign_sha256 as sign_body

PLUGIN_DIR = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _is_this_distribution(name: str) -> bool:
    bare = name.removeprefix("__editable__.").removeprefix("__editable___").lower().replace("-", "_")
    return bare.startswith("payalert_github")


def _mirror_site_packages(farm: Path) -> None:
    """Symlink every entry of this interpreter's site-packages into ``farm``, except payalert-github's."""
    farm.mkdir()
    dirs = [Path(d) for d in site.getsitepackages()]
    if site.ENABLE_USER_SITE and Path(site.getusersitepackages()).is_dir():
        dirs.append(Path(site.getusersitepackages()))
    for directory in dirs:
        for entry in sorted(directory.iterdir()):
            if not _is_this_distribution(entry.name) and not (farm / entry.name).exists():
                (farm / entry.name).symlink_to(entry)


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain venv (no system site-packages) seeing everything installed here but payalert-github."""
    root = tmp_path_factory.mktemp("entry-point")
    _mirror_site_packages(root / "site")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=120
    )
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    # A .pth line starting with "import" runs at start-up: the mirror becomes a site dir (its .pth files apply).
    (Path(purelib) / "mirror.pth").write_text(f"import site; site.addsitedir({str(root / 'site')!r})\n")
    return python


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYALERT_", "PYTHON"))}
    return {**env, **extra}


def _payalert(python: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "payalert_core", *args], capture_output=True, text=True, env=_env(**env), timeout=120
    )


def _plugins(python: Path, **env: str) -> dict[str, Any]:
    result = _payalert(python, "plugins", "--json", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _config(tmp: Path, sources: dict[str, Any]) -> tuple[Path, int]:
    port = free_port()
    config = {
        "data_dir": str(tmp / "data"),
        "server": {"host": "127.0.0.1", "port": port},
        "sources": sources,
        "notifiers": {"console": {"type": "console"}},
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path, port


def _request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class _Daemon:
    """``payalert run`` in the bare venv, stopped with SIGTERM (killed if it will not stop)."""

    def __init__(self, python: Path, config: Path, port: int) -> None:
        self.log = config.parent / "daemon.log"
        self.url = f"http://127.0.0.1:{port}"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [python, "-m", "payalert_core", "--config", str(config), "run"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_env(),
            )

    def __enter__(self) -> _Daemon:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if _request(self.url + "/health")[0] in (200, 503):
                    return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(self.log.read_text())

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def test_core_runs_without_the_plugin_and_ignores_the_bare_module(bare_venv: Path, tmp_path: Path) -> None:
    python = bare_venv
    missing = subprocess.run(
        [python, "-c", "import importlib.metadata as m; m.distribution('payalert-github')"],
        capture_output=True,
        timeout=60,
    )
    assert missing.returncode != 0, "the mirror must not contain the payalert-github distribution"

    listed = _plugins(python)
    assert "github" not in listed["sources"]
    assert all(p["package"] != "payalert-github" for p in listed["plugins"])
    assert all(error["package"] != "payalert-github" for error in listed["errors"])

    # The package importable on PYTHONPATH (without its distribution metadata) is not enough:
    # discovery is the entry point, nothing else.
    modules = tmp_path / "modules"
    shutil.copytree(PLUGIN_DIR / "payalert_github", modules / "payalert_github")
    importable = subprocess.run(
        [python, "-c", "import payalert_github.plugin"], env=_env(PYTHONPATH=str(modules)), timeout=60
    )
    assert importable.returncode == 0
    assert "github" not in _plugins(python, PYTHONPATH=str(modules))["sources"]

    config, _port = _config(tmp_path, {"gh": {"type": "github", "secret": SECRET}})
    refused = _payalert(python, "--config", str(config), "check-config")
    assert refused.returncode == 2
    assert "sources.gh.type" in refused.stderr and "github" in refused.stderr

    config, port = _config(tmp_path, {})
    with _Daemon(python, config, port) as daemon:
        assert _request(daemon.url + "/health")[0] == 200
        assert _request(daemon.url + "/hooks/gh/", b"{}")[0] == 404


def test_installed_plugin_is_found_through_its_entry_point(bare_venv: Path, tmp_path: Path) -> None:
    python = bare_venv
    source = tmp_path / "payalert_github-src"
    shutil.copytree(
        PLUGIN_DIR, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests")
    )
    offline = ("--no-deps", "--no-build-isolation", "--no-index")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", *offline, str(source)],
        capture_output=True,
        text=True,
        env=_env(PIP_DISABLE_PIP_VERSION_CHECK="1"),
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    listed = _plugins(python)
    [entry] = [p for p in listed["plugins"] if p["package"] == "payalert-github"]
    assert entry["name"] == "github"
    assert listed["sources"]["github"] == "payalert_github.source"

    # Disabling it by entry-point name takes it away again.
    assert "github" not in _plugins(python, PAYALERT_DISABLED_PLUGINS="github")["sources"]

    config, port = _config(tmp_path, {"gh": {"type": "github", "secret": SECRET}})
    with _Daemon(python, config, port) as daemon:
        event, payload = sample_payload("created")
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": "entry-point-1",
            "X-Hub-Signature-256": sign_body(SECRET, body),
        }
        status, answer = _request(daemon.url + "/hooks/gh/", body, headers)
        assert status == 200, answer
        assert json.loads(answer)["status"] == "stored"
        assert _request(daemon.url + "/hooks/gh/", body, {**headers, "X-Hub-Signature-256": "x"})[0] == 401
