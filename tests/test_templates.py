"""The config ``payalert init`` writes: as written, and with every commented example switched on."""

from __future__ import annotations

import re

import yaml

from payalert_core.config import load_config
from payalert_core.plugins import get_plugin_manager
from payalert_core.statuspage.passwords import hash_password
from payalert_core.templates import CONFIG_TEMPLATE

#: A commented line that is YAML (``# key: value`` or ``# - item``), not prose.
COMMENTED_YAML = re.compile(r"^(\s*)# (\s*(?:[A-Za-z_][\w-]*:(?:\s|$)|- ).*)$")
#: Values that pass each variable's checks; any other variable gets a long random-looking one.
DUMMY_VALUES = {
    "TELEGRAM_BOT_TOKEN": "123456789:AAdummy-token-for-tests",
    "PAYALERT_STATUS_PAGE_PASSWORD_HASH": hash_password("a dummy password"),
}


def uncomment(template: str) -> str:
    """``template`` with every commented YAML line switched on (prose comments stay)."""
    return "\n".join(COMMENTED_YAML.sub(r"\1\2", line) for line in template.splitlines()) + "\n"


def test_uncommenting_finds_the_examples_and_leaves_prose_alone():
    switched_on = uncomment(CONFIG_TEMPLATE)
    assert "  #" not in "".join(line for line in switched_on.splitlines() if "type:" in line)
    assert "# GitHub Sponsors (pip install payalert-github)" in switched_on
    sections = yaml.safe_load(switched_on)
    assert {"sponsors", "binance", "bank"} <= set(sections["sources"])
    assert "telegram" in sections["notifiers"]


def test_the_template_with_every_example_switched_on_validates(tmp_path, monkeypatch):
    """Each commented block, uncommented with its variables set, is a valid config (installed plugins)."""
    plugins = get_plugin_manager()
    for name in set(re.findall(r"\$\{([A-Z_]+)\}", CONFIG_TEMPLATE)):
        monkeypatch.setenv(name, DUMMY_VALUES.get(name, f"dummy-{name.lower()}-0123456789abcdef"))
    document = yaml.safe_load(uncomment(CONFIG_TEMPLATE))
    installed = {"sources": plugins.sources, "notifiers": plugins.notifiers}
    for group, registry in installed.items():
        document[group] = {
            name: section for name, section in document[group].items() if section["type"] in registry
        }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document))
    config = load_config(path, plugins)
    assert {section.type for section in config.notifiers.values()} == {"console", "telegram"}  # built in
    assert config.settings.status_page.enabled
