"""Helpers of the deployment tests: Dockerfile, .dockerignore and unit parsing, a stand-in for the
container's file system, and the daemon run from it."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import yaml

from payalert_core import sign_sha256
from payalert_core.sources.webhook import SIGNATURE_HEADER

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
UNIT = REPO / "deploy" / "payalert.service"
DOCKER_CONFIG = REPO / "deploy" / "config.docker.yaml"
SECRET = "deploy-test-secret-0123456789"
# Variables of the test run that must not leak into the daemon or the venv under test.
LEAKY = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PAYALERT_EXTRA_PLUGINS", "PAYALERT_DISABLED_PLUGINS")


# -- Dockerfile, .dockerignore and unit parsing ---------------------------------------------------
@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its stage (0 = first FROM), keyword and the rest of the line."""

    stage: int
    keyword: str
    value: str

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form instruction (after any --flags)."""
        return json.loads(self.value[self.value.index("[") :])

    def run_parts(self) -> tuple[list[dict[str, str]], str]:
        """A RUN's --mount options as dicts, and its command."""
        mounts, rest = [], self.value
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            assert flag.startswith("--mount="), f"unexpected RUN flag {flag}"
            mounts.append(dict(item.split("=", 1) for item in flag[len("--mount=") :].split(",")))
            rest = rest.lstrip()
        return mounts, rest


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and blank lines dropped."""
    instructions, pending, stage = [], "", -1
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        keyword, _, value = (pending + stripped).partition(" ")
        pending = ""
        stage += keyword.upper() == "FROM"
        instructions.append(Instruction(stage, keyword.upper(), value.strip()))
    assert not pending, "the Dockerfile ends inside a continuation line"
    return instructions


def only(instructions: list[Instruction], keyword: str, stage: int | None = None) -> list[Instruction]:
    """The instructions with this keyword (in one stage)."""
    return [i for i in instructions if i.keyword == keyword and stage in (None, i.stage)]


def stage_env(instructions: list[Instruction], stage: int) -> dict[str, str]:
    """ENV key=value pairs of a stage, unexpanded."""
    pairs = [word.split("=", 1) for i in only(instructions, "ENV", stage) for word in shlex.split(i.value)]
    return dict(pairs)


def dockerignore_rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(is_exception, regex) per line, with Docker's glob rules: ** spans folders, * does not."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = str(PurePosixPath(line.lstrip("!").strip().lstrip("/")))
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        regex = re.sub(r"\\\[(.*?)\\\]", r"[\1]", regex)
        rules.append((exception, re.compile(regex + "$")))
    return rules


def ignored(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves ``path`` out of the context: the last rule matching it or a parent wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for exception, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            verdict = not exception
    return verdict


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit as {section: [(key, value), ...]}, keeping repeated keys."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def unit_value(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    """The last value of ``key`` (what systemd uses for single-valued settings)."""
    values = [value for k, value in unit[section] if k == key]
    assert values, f"[{section}] has no {key}="
    return values[-1]


def seconds(value: str) -> float:
    """A systemd or compose time span such as 45s, 2min or 1m30s, in seconds."""
    units = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    found = re.findall(r"(\d+)\s*([a-z]*)", value)
    assert found, value
    return sum(int(number) * units[unit or "s"] for number, unit in found)


# -- a fake container filesystem and the processes run in it ---------------------------------------
@dataclass
class Image:
    """The Dockerfile replayed here: ``root`` stands for the container's /."""

    root: Path
    instructions: list[Instruction]
    log: str

    def path(self, container_path: str) -> Path:
        """Where a container path lives on this machine."""
        assert container_path.startswith("/"), container_path
        return self.root / container_path.lstrip("/")

    def env(self, stage: int = 1, base: dict[str, str] | None = None, **overrides: str) -> dict[str, str]:
        """A stage's ENV over ``base`` (default: PATH alone), container paths mapped, plus ``overrides``."""
        env = dict(base) if base is not None else {"PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
        for key, value in stage_env(self.instructions, stage).items():
            if key == "PATH":
                entries = value.split(":")
                value = ":".join(env["PATH"] if e == "$PATH" else str(self.path(e)) for e in entries)
            elif value.startswith("/"):
                value = str(self.path(value))
            env[key] = value
        return {**env, **overrides}

    def argv(self, words: list[str]) -> list[str]:
        """A command with its absolute container paths mapped."""
        return [str(self.path(word)) if word.startswith("/") else word for word in words]


def copy_context(image: Image, workdir: str) -> None:
    """Carry out the builder's COPY lines from the repository, as filtered by .dockerignore."""
    rules = dockerignore_rules((REPO / ".dockerignore").read_text())
    for instruction in only(image.instructions, "COPY", 0):
        *sources, dest = shlex.split(instruction.value)
        assert not any("--from" in s or "*" in s for s in sources), instruction
        target = image.path(str(PurePosixPath(workdir) / dest))
        for source in sources:
            name = source.rstrip("/")
            assert (REPO / name).exists() and not ignored(name, rules), f"COPY {source}: not in the context"
            files = [REPO / name] if (REPO / name).is_file() else sorted((REPO / name).rglob("*"))
            for file in files:
                relative = file.relative_to(REPO).as_posix()
                if not file.is_file() or ignored(relative, rules):
                    continue
                if (REPO / name).is_dir():
                    out = target / file.relative_to(REPO / name)
                else:
                    out = target / file.name if dest.endswith("/") or len(sources) > 1 else target
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, out)


def run_install_step(image: Image, stage: int, env: dict[str, str]) -> str:
    """Run the stage's one RUN that calls the install script, with its mounts laid out as symlinks."""
    (step,) = [i for i in only(image.instructions, "RUN", stage) if "install.sh" in i.value]
    mounts, command = step.run_parts()
    for mount in mounts:
        if mount["type"] == "bind" and mount["source"] != mount["target"]:
            image.path(mount["target"]).parent.mkdir(parents=True, exist_ok=True)
            image.path(mount["target"]).symlink_to(image.path(mount["source"]))
    words = shlex.split(command)
    assert words[0] == "sh" and not set(words) & {"&&", "||", ";", "|"}, command
    workdir = "/"
    for earlier in image.instructions[: image.instructions.index(step)]:
        if earlier.stage == stage and earlier.keyword == "WORKDIR":
            workdir = earlier.value
    cwd = image.path(workdir)
    cwd.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(image.argv(words), cwd=cwd, env=env, capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def install_env(**extra: str) -> dict[str, str]:
    """This machine's environment (pip's cache and config included) for the install script."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY}
    return {**env, "PYTHON": sys.executable, **extra}


class Daemon:
    """A ``payalert run`` process with its log; stopped (then killed) when the test ends."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, port: int) -> None:
        self.port = port
        self.log = cwd / f"daemon-{port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)

    def output(self) -> str:
        """Everything it printed so far."""
        return self.log.read_text(errors="replace")

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 30) -> None:
        """Poll ``condition`` until true; fail with the log if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"payalert exited while waiting for {what}:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {what} within {timeout}s:\n{self.output()}"
            time.sleep(0.05)

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> int | None:
        """The HTTP status, or None when nothing answers."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            return connection.getresponse().status
        except OSError:
            return None
        finally:
            connection.close()

    def terminate(self, timeout: float) -> int:
        """SIGTERM and wait for the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


@contextlib.contextmanager
def daemon(argv: list[str], env: dict[str, str], cwd: Path, port: int) -> Iterator[Daemon]:
    """Start ``argv`` and wait until /health answers."""
    running = Daemon(argv, env, cwd, port)
    try:
        running.wait_for(lambda: running.request("GET", "/health") is not None, "/health")
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(10)


def signed_payment(running: Daemon, source: str, payment: dict) -> int | None:
    """POST a signed payment to the webhook source ``source``."""
    body = json.dumps(payment).encode()
    headers = {SIGNATURE_HEADER: sign_sha256(SECRET, body), "Content-Type": "application/json"}
    return running.request("POST", f"/hooks/{source}/", body, headers)


def healthcheck(image: Image, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the image's HEALTHCHECK command, exactly as written, in ``env``."""
    (check,) = only(image.instructions, "HEALTHCHECK")
    argv = check.exec_form()
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)


def write_config(path: Path, data_dir: Path) -> Path:
    """deploy/config.docker.yaml with its data_dir moved to ``data_dir``."""
    config = yaml.safe_load(DOCKER_CONFIG.read_text())
    config["data_dir"] = str(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def tool(name: str, hint: str) -> str:
    """A test tool's path beside this interpreter or on PATH; fail loudly when it is missing."""
    found = shutil.which(name, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if found is None:
        pytest.fail(f"{name} is required by the deployment tests: {hint}")
    return found
