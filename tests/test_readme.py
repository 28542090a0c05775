"""Every command in the README works for a new user: run, block after block, on a fresh clone.

The repository is cloned (its committed HEAD) into a temporary "hosting" folder that stands in for
``https://github.com/<org>/payalert.git``; every ``sh`` block of the README is then run in one bash
session, in order, from an empty home folder, as a reader would type them. Only what a test
machine needs is changed:

- the hosting URL points at the temporary folder (``git clone`` and pip's ``git+`` URLs alike);
- port 8080 becomes a free port, in the commands and in the config a ``payalert run`` uses;
- ``payalert run`` starts in the background and the next block runs once ``/health`` answers (a
  reader opens another terminal); a second ``payalert run`` first stops the one before (Ctrl-C);
- ``scripts/test`` sets everything up and collects every test without running them (``-q
  --collect-only``): running the whole suite inside one of its own tests would recurse;
- a block that installs from git runs in a fresh virtualenv, as for a reader without a clone.

pip installs from the clone, from git and from the package registry this machine is configured
for; nothing here reaches GitHub.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from payalert_testing import free_port

ROOT = Path(__file__).resolve().parents[1]
HOSTED = "https://github.com/<org>/payalert.git"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
#: A line (or the end of a line after ``&&``) that starts the daemon in the foreground.
RUN_COMMAND = re.compile(r"(?P<run>\S*payalert run\b[^&|;#]*)(?P<comment>#.*)?$", re.MULTILINE)

PRELUDE = r"""
set -eo pipefail
__stop_daemon() {
  if [ -n "${__daemon_pid:-}" ]; then
    kill -INT "$__daemon_pid" 2>/dev/null || true
    wait "$__daemon_pid" || true
    __daemon_pid=
  fi
}
__daemon() {
  __stop_daemon
  for file in config.yaml config.example.yaml; do
    if [ -f "$file" ]; then sed -i "s/^\(\s*port:\) 8080\b/\1 $README_PORT/" "$file"; fi
  done
  "$@" >>"$README_DAEMON_LOG" 2>&1 &
  __daemon_pid=$!
  for _ in $(seq 600); do
    if curl -s "http://127.0.0.1:$README_PORT/health" >/dev/null; then return 0; fi
    if ! kill -0 "$__daemon_pid" 2>/dev/null; then echo "payalert run exited early" >&2; return 1; fi
    sleep 0.1
  done
  echo "payalert run never answered /health" >&2
  return 1
}
"""


def readme_blocks(readme: str) -> list[str]:
    """The README's ``sh`` blocks, in order."""
    return SH_BLOCK.findall(readme)


def prepare(block: str, hosted: Path, port: int) -> str:
    """One README block as the test runs it (see the module docstring)."""
    text = block.replace(f"git+{HOSTED}", f"git+file://localhost{hosted}").replace(HOSTED, f"file://{hosted}")
    text = text.replace(":8080", f":{port}")
    text = RUN_COMMAND.sub(lambda match: f"__daemon {match.group('run').rstrip()}", text)
    text = re.sub(r"^scripts/test$", "scripts/test -q --collect-only", text, flags=re.MULTILINE)
    if "git+" in text:  # a reader without the clone
        text = 'python3 -m venv "$HOME/.fresh" && . "$HOME/.fresh/bin/activate"\n' + text
    return text


def test_the_prepared_blocks_cover_every_command():
    """The rewriting above touches only what it should; every block is kept."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = readme_blocks(readme)
    prepared = [prepare(block, Path("/srv/payalert.git"), 9999) for block in blocks]
    script = "\n".join(prepared)
    assert len(blocks) >= 5
    assert HOSTED not in script and "8080" not in script
    assert script.count("__daemon ") == sum(block.count("payalert run") for block in blocks) >= 2
    assert "git+file://localhost/srv/payalert.git#subdirectory=plugins/payalert_github" in script
    assert "pip install payalert-" not in readme  # nothing is published on a package index


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("curl") is None, reason="needs git and curl")
def test_every_readme_command_works_on_a_fresh_clone(tmp_path):
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse"], capture_output=True).returncode:
        pytest.skip("not a git checkout: nothing to clone")
    hosted = tmp_path / "hosting" / "payalert.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(hosted)], check=True)
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parts = [PRELUDE]
    for number, block in enumerate(readme_blocks(readme), 1):
        parts += [f'echo "=== README block {number}"', prepare(block, hosted, port)]
    parts.append("__stop_daemon")
    script = tmp_path / "readme.sh"
    script.write_text("\n".join(parts), encoding="utf-8")
    log = tmp_path / "daemon.log"

    process = subprocess.Popen(
        ["bash", str(script)],
        cwd=home,
        env=_reader_environment(home, port, log),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=1500)
    finally:  # the session's own process group: bash and any daemon it left running
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    daemon_log = log.read_text() if log.exists() else ""
    assert process.returncode == 0, f"{output[-6000:]}\n--- daemon log ---\n{daemon_log[-3000:]}"

    assert "HTTP/1.1 202" in output and '"status": "ok"' in output  # the signed payment, then /health
    assert "Order #1001" in daemon_log  # printed by the example config's console notifier
    assert "payalert check-config" in output and "config.yaml: OK" in output  # init, then check-config
    assert ": sent" in output  # test-notify
    assert (home / "payalert" / "config.yaml").exists()
    for venv in (home / ".payalert", home / ".fresh"):
        listing = subprocess.run(
            [str(venv / "bin" / "payalert"), "plugins"], capture_output=True, text=True, timeout=120
        )
        assert "payalert-github" in listing.stdout, listing


def _reader_environment(home: Path, port: int, log: Path) -> dict[str, str]:
    """This environment as a new user's shell: no virtualenv active, no payalert settings, own home."""
    here = Path(sys.prefix)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not Path(p).is_relative_to(here)]
    skip = ("PAYALERT_", "PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    env = {key: value for key, value in os.environ.items() if not key.startswith(skip)}
    return {
        **env,
        "HOME": str(home),
        "PATH": os.pathsep.join(path),
        "README_PORT": str(port),
        "README_DAEMON_LOG": str(log),
    }
