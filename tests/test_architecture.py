"""The import rules of docs/architecture.md, read from the source with ``ast``.

The core never imports a plugin or the test kit; plugins (and the core's own built-in plugins)
import only the core's public names; each room of the core keeps out of the rooms above it; tests
and benchmarks import installed names only.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import payalert_core

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "payalert_core"
PLUGIN_PROJECTS = sorted(path.parent for path in ROOT.glob("plugins/*/pyproject.toml"))

#: What the rooms at the bottom (reporting, coordination) must never import.
EVERY_ROOM_ABOVE = (
    "store",
    "delivery",
    "server",
    "scheduling",
    "runtime",
    "daemon",
    "cli",
    "notifiers",
    "sources",
)
#: Each room of the core (module name prefixes) and the rooms it must never import.
FORBIDDEN = {
    "store": ("delivery", "server", "scheduling", "daemon", "runtime", "cli", "notifiers", "sources"),
    "delivery": ("server", "scheduling", "daemon", "runtime", "cli", "notifiers", "sources"),
    "server": ("delivery", "scheduling", "daemon", "runtime", "cli", "notifiers", "sources"),
    "scheduling": ("store", "delivery", "server", "daemon", "runtime", "cli", "notifiers", "sources"),
    "runtime": ("delivery", "server", "scheduling", "daemon", "cli", "notifiers", "sources"),
    "coordination": EVERY_ROOM_ABOVE,
    "reporting": EVERY_ROOM_ABOVE,
}
ROOM_MODULES = {
    "store": ("store", "deliverycounts", "diskspace"),
    "delivery": ("delivery",),
    "server": ("server", "connections"),
    "scheduling": ("scheduling",),
    "runtime": ("runtime",),
    "coordination": ("coordination",),
    "reporting": ("health", "metrics", "logs"),
}


def imported_modules(path: Path, package: str) -> Iterator[tuple[str, list[str]]]:
    """Each module ``path`` imports (relative imports resolved within ``package``), with the names taken."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module, [alias.name for alias in node.names]


def module_name(path: Path, root: Path) -> tuple[str, str]:
    """The dotted module name of ``path`` under ``root``, and the package it is in."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def core_modules() -> Iterator[tuple[str, str, Path]]:
    for path in sorted(CORE.rglob("*.py")):
        name, package = module_name(path, ROOT)
        yield name, package, path


def in_room(module: str, prefixes: tuple[str, ...]) -> bool:
    inner = module.removeprefix("payalert_core.")
    return any(inner == prefix or inner.startswith(prefix + ".") for prefix in prefixes)


def test_the_core_never_imports_a_plugin_or_the_test_kit() -> None:
    found = [
        f"{name} imports {module}"
        for name, package, path in core_modules()
        for module, _ in imported_modules(path, package)
        if module.startswith("payalert_") and not module.startswith("payalert_core")
    ]
    assert found == []


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_each_room_of_the_core_keeps_out_of_the_rooms_above_it(room: str) -> None:
    forbidden = tuple(module for other in FORBIDDEN[room] for module in ROOM_MODULES.get(other, (other,)))
    found = [
        f"{name} imports {module}"
        for name, package, path in core_modules()
        if in_room(name, ROOM_MODULES[room])
        for module, _ in imported_modules(path, package)
        if module.startswith("payalert_core.") and in_room(module, forbidden)
    ]
    assert found == []


def public_imports_only(path: Path, package: str, own: tuple[str, ...]) -> list[str]:
    """Imports of the core's internals, or of names ``payalert_core`` does not export."""
    wrong = []
    for module, names in imported_modules(path, package):
        if module.startswith("payalert_core.") and not module.startswith(own):
            wrong.append(f"{path.relative_to(ROOT)} imports {module}")
        elif module == "payalert_core":
            wrong += [
                f"{path.relative_to(ROOT)} imports {name}"
                for name in names
                if name not in payalert_core.__all__
            ]
    return wrong


def test_the_built_in_plugins_import_only_the_public_api() -> None:
    wrong = []
    for name, package, path in core_modules():
        for room in ("notifiers", "sources"):
            if in_room(name, (room,)):
                wrong += public_imports_only(path, package, (f"payalert_core.{room}",))
    assert wrong == []


def declared_distributions(project: Path) -> set[str]:
    """Import names of the payalert distributions ``project`` depends on at run time."""
    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[ <>=!~;\[@]", dependency, maxsplit=1)[0] for dependency in dependencies}
    return {name.replace("-", "_") for name in names if name.startswith("payalert-")}


@pytest.mark.parametrize("project", PLUGIN_PROJECTS, ids=lambda project: project.name)
def test_a_plugin_imports_only_the_cores_public_names_and_what_it_declares(project: Path) -> None:
    allowed = declared_distributions(project) | {project.name}
    wrong = []
    for path in sorted((project / project.name).rglob("*.py")):
        _, package = module_name(path, project)
        wrong += public_imports_only(path, package, ())
        wrong += [
            f"{path.relative_to(ROOT)} imports {module}"
            for module, _ in imported_modules(path, package)
            if module.startswith("payalert_") and module.split(".")[0] not in allowed
        ]
    assert wrong == []


def test_tests_and_benchmarks_import_installed_names_only() -> None:
    folders = [ROOT / "tests", ROOT / "bench", *(project / "tests" for project in PLUGIN_PROJECTS)]
    folders += [project / "bench" for project in PLUGIN_PROJECTS]
    wrong = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            text = path.read_text()
            if re.search(r"\bsys\.path\.(insert|append)\b|\bsys\.path\s*=", text):
                wrong.append(f"{path.relative_to(ROOT)} changes sys.path")
            _, package = module_name(path, ROOT)
            wrong += [
                f"{path.relative_to(ROOT)} imports {module}"
                for module, _ in imported_modules(path, package)
                if module.split(".")[0] in ("plugins", "testing")
            ]
    assert wrong == []
