"""Every hook, the core's and those plugins declare, is documented in docs/plugin_hooks.md and exercised by a test."""

import inspect
import re
from pathlib import Path

import pytest

from payalert_core import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = [
    name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("payalert_")
]
#: Hooks the plugins in this repository declare for other plugins (read from their hookspecs modules).
PLUGIN_HOOKS = sorted(
    name
    for spec in ROOT.glob("plugins/*/payalert_*/hookspecs.py")
    for name in re.findall(r"^def (payalert_\w+)\(", spec.read_text(), re.MULTILINE)
)


def test_plugins_declare_hooks():
    assert "payalert_register_parsers" in PLUGIN_HOOKS


@pytest.mark.parametrize("hook", PLUGIN_HOOKS)
def test_plugin_hook_is_documented(hook):
    document = (ROOT / "docs" / "plugin_hooks.md").read_text()
    assert re.search(rf"^## {hook}\(", document, re.MULTILINE), f"{hook} is missing from docs/plugin_hooks.md"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    document = (ROOT / "docs" / "plugin_hooks.md").read_text()
    assert re.search(rf"^## {hook}\(", document, re.MULTILINE), f"{hook} is missing from docs/plugin_hooks.md"
    assert getattr(hookspecs, hook).__doc__.strip()


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_implemented_by_some_tested_plugin(hook):
    sources = [ROOT / "tests", ROOT / "payalert_core", *ROOT.glob("plugins/*/payalert_*")]
    text = "".join(
        p.read_text() for folder in sources for p in folder.rglob("*.py") if p.name != "hookspecs.py"
    )
    assert f"def {hook}(" in text, f"no plugin or test implements {hook}"


@pytest.mark.parametrize("hook", PLUGIN_HOOKS)
def test_plugin_hook_is_implemented_in_a_test(hook):
    text = "".join(p.read_text() for p in ROOT.glob("plugins/*/tests/*.py"))
    assert f"def {hook}(" in text, f"no test implements {hook}"


@pytest.mark.parametrize("method", ["targets", "render", "send", "send_update"])
def test_notifier_method_is_documented(method):
    document = (ROOT / "docs" / "plugin_hooks.md").read_text()
    assert re.search(rf"^- `{method}\(", document, re.MULTILINE), f"Notifier.{method} is not documented"
