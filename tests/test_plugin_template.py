"""The plugin template (``templates/plugin``) makes projects that install, load and pass their own tests.

Each kind is rendered with cookiecutter into a temporary folder and installed into one fresh
virtualenv by the ``pip install`` commands its README gives a plugin author (payalert-core first,
from this checkout, then the project with its ``[test]`` extra and ruff). Then, in that virtualenv,
``payalert plugins`` must list the new plugin, the generated code must satisfy ruff with the
generated project's own settings, and the generated project's own tests must run and pass.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "plugin"
KINDS = ("push", "polled", "stream", "notifier")


def _render(output_dir: Path, **context: str) -> Path:
    """Render the template without prompts; cookiecutter's replay files stay in ``output_dir``."""
    config = output_dir / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(output_dir / 'cache'))}\n"
        f"replay_dir: {json.dumps(str(output_dir / 'replay'))}\n"
    )
    project = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        extra_context=context,
        output_dir=str(output_dir),
        config_file=str(config),
    )
    return Path(project)


def _env() -> dict[str, str]:
    """This environment without anything that would point the virtualenv's Python elsewhere."""
    skip = ("PAYALERT_", "PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    return {key: value for key, value in os.environ.items() if not key.startswith(skip)}


def _run(*args: str | Path, cwd: Path | None = None, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a command; its output goes into the assertion message when it fails."""
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One rendered project per kind, named ``<kind>-demo``."""
    output = tmp_path_factory.mktemp("rendered")
    return {
        kind: _render(output, plugin_name=f"{kind}-demo", kind=kind, author_name="Test Author")
        for kind in KINDS
    }


def develop_installs(readme: Path) -> list[list[str]]:
    """The arguments of each ``pip install`` in the README's "Develop" block, in order."""
    section = readme.read_text().split("## Develop", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [command[2:] for command in commands if command[:2] == ["pip", "install"]]


@pytest.fixture(scope="module")
def venv(projects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv where each rendered project's README "Develop" installs were run, as its author would.

    payalert-core and payalert-testing come from this checkout instead of the git URLs the README
    names (the same requirements; test_readme.py installs from a git URL), each only once.
    """
    root = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", root, timeout=120)
    pip = (root / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile")
    core_installed = testing_installed = False
    for project in projects.values():
        for arguments in develop_installs(project / "README.md"):
            if any(argument.startswith("payalert-core @ git+") for argument in arguments):
                if core_installed:
                    continue
                arguments = ["-e", str(ROOT)]
                core_installed = True
            elif any(argument.startswith("payalert-testing @ git+") for argument in arguments):
                if testing_installed:
                    continue
                arguments = ["-e", str(ROOT / "testing")]
                testing_installed = True
            _run(*pip, *arguments, cwd=project, timeout=900)
    return root / "bin"


@pytest.mark.parametrize("kind", KINDS)
def test_a_rendered_plugin_is_found_by_payalert(kind: str, projects: dict[str, Path], venv: Path) -> None:
    listing = json.loads(_run(venv / "payalert", "plugins", "--json", cwd=projects[kind], timeout=120).stdout)
    assert {"name": f"{kind}-demo", "package": f"payalert-{kind}-demo", "version": "0.1.0"} in listing[
        "plugins"
    ]
    provided = listing["notifiers"] if kind == "notifier" else listing["sources"]
    assert provided[f"{kind}-demo"].startswith(f"payalert_{kind}_demo.")
    assert listing["errors"] == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_rendered_plugin_is_ruff_clean_by_its_own_settings(
    kind: str, projects: dict[str, Path], venv: Path
) -> None:
    _run(venv / "ruff", "check", "--no-cache", ".", cwd=projects[kind], timeout=120)
    _run(venv / "ruff", "format", "--no-cache", "--check", ".", cwd=projects[kind], timeout=120)


@pytest.mark.parametrize("kind", KINDS)
def test_a_rendered_plugins_own_tests_pass(kind: str, projects: dict[str, Path], venv: Path) -> None:
    report = projects[kind] / "report.xml"
    # The venv's pytest script, not `python -m pytest`: the tests import the installed package.
    _run(
        venv / "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        cwd=projects[kind],
        timeout=600,
    )
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None
    counts = {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}
    assert counts["tests"] > 0 and counts["failures"] == counts["errors"] == counts["skipped"] == 0, counts


@pytest.mark.parametrize("kind", KINDS)
def test_only_the_chosen_kinds_files_are_generated(kind: str, projects: dict[str, Path]) -> None:
    project = projects[kind]
    package = project / f"payalert_{kind}_demo"
    folders = (package, project / "tests")  # not build/, which installing may leave behind
    generated = sorted(str(path.relative_to(project)) for folder in folders for path in folder.glob("*.py"))
    module = "notifier" if kind == "notifier" else "source"
    expected = [
        f"payalert_{kind}_demo/__init__.py",
        f"payalert_{kind}_demo/{module}.py",
        "tests/test_daemon.py",
        f"tests/test_{module}.py",
    ]
    if kind != "push":
        expected.append("tests/conftest.py")  # the local stand-in for the remote service
    assert generated == sorted(expected)
    for path in [project / "pyproject.toml", project / "README.md", *map(project.joinpath, generated)]:
        text = path.read_text()
        assert "{{" not in text and "{%" not in text and "cookiecutter" not in text, path
    assert 'authors = [{ name = "Test Author"' in (project / "pyproject.toml").read_text()


def test_a_plugin_name_that_cannot_be_a_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FailedHookException):
        _render(tmp_path, plugin_name="My Shop", kind="push")
    assert not (tmp_path / "payalert-My Shop").exists()
