"""What installing payalert costs elsewhere: runtime wheels hold no test doubles, and the pytest
plugin of payalert-testing adds almost nothing to a pytest run that does not use it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: At most this many more modules imported by an empty ``pytest --co`` with the payalert plugin.
MAX_EXTRA_MODULES = 15
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation")
#: A module in a wheel that is a test double or a test kit, by name.
TEST_MODULE = re.compile(r"(^|/)(testing|test_?\w*|\w*testkit|\w*_tests?|conftest)(\.py|/)")


#: Runs ``pytest --co -q`` in-process, then prints every module loaded, one a line.
COLLECT_AND_LIST = (
    "import sys, pytest; code = pytest.main(['--co', '-q', '-p', 'no:cacheprovider', *sys.argv[1:]]); "
    "print('\\n'.join(['exit', str(int(code)), *sorted(sys.modules)]))"
)


def imported_modules(folder: Path, *options: str) -> set[str]:
    """Every module an empty ``pytest --co -q`` in ``folder`` has loaded when it ends.

    Read from ``sys.modules`` rather than ``-X importtime``, which leaves out what pytest loads
    with ``importlib`` (entry points, conftests) and so would miss the plugin itself.
    """
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    run = subprocess.run(
        [sys.executable, "-c", COLLECT_AND_LIST, *options],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = run.stdout.splitlines()
    marker = lines.index("exit")
    assert lines[marker + 1] == "5", run.stdout + run.stderr  # 5: no tests collected, as in an empty folder
    return set(lines[marker + 2 :])


def test_the_pytest_plugin_adds_at_most_15_modules_to_an_empty_run(tmp_path: Path) -> None:
    with_plugin = imported_modules(tmp_path)
    without = imported_modules(tmp_path, "-p", "no:payalert")
    extra = with_plugin - without
    print(f"the payalert pytest plugin adds {len(extra)} imported modules: {sorted(extra)}")
    assert "payalert_testing.pytest_plugin" in extra  # the plugin is installed and was loaded
    assert len(extra) <= MAX_EXTRA_MODULES, sorted(extra)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheels of payalert-core and payalert-binance, built from this tree, by package name."""
    out = tmp_path_factory.mktemp("wheels")
    for project in (ROOT, ROOT / "plugins" / "payalert_binance"):
        subprocess.run(
            [*PIP_WHEEL, "--wheel-dir", str(out), str(project)],
            check=True,
            timeout=600,
        )
    return {wheel.name.split("-")[0]: wheel for wheel in out.glob("*.whl")}


def wheel_files(wheel: Path) -> list[str]:
    """The names ``python -m zipfile -l`` lists for ``wheel``."""
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


@pytest.mark.parametrize("package", ["payalert_core", "payalert_binance"])
def test_a_runtime_wheel_holds_no_test_doubles(wheels: dict[str, Path], package: str) -> None:
    files = wheel_files(wheels[package])
    assert f"{package}/__init__.py" in files  # the wheel was built and read
    assert [name for name in files if TEST_MODULE.search(name) or "payalert_testing" in name] == []


def test_the_core_wheel_registers_no_pytest_plugin(wheels: dict[str, Path]) -> None:
    (entry_points,) = [
        name for name in wheel_files(wheels["payalert_core"]) if name.endswith("entry_points.txt")
    ]
    with zipfile.ZipFile(wheels["payalert_core"]) as archive:
        declared = archive.read(entry_points).decode()
    assert "[console_scripts]" in declared
    assert "pytest11" not in declared


def test_importing_the_public_api_leaves_the_server_and_test_libraries_out() -> None:
    code = "import sys, payalert_core; print(sorted({'aiohttp', 'payalert_testing', 'pytest'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.strip() == "[]"
