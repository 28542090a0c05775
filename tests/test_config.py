import dataclasses
import json
import subprocess
import sys

import pytest

from payalert_core import ConfigError, PolledSource, SourceConfig
from payalert_core.config import load_config
from payalert_core.plugins import get_plugin_manager


@pytest.fixture(scope="module")
def plugins():
    return get_plugin_manager()


def write(tmp_path, text, env_file=None):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    if env_file is not None:
        (tmp_path / ".env").write_text(env_file)
    return path


def problems(tmp_path, plugins, text, **kwargs):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text, **kwargs), plugins)
    return dict(caught.value.problems)


MINIMAL = """
sources:
  shop:
    type: webhook
    secret: {secret}
notifiers:
  out:
    type: console
"""


def test_minimal_config_loads_with_defaults(tmp_path, plugins):
    config = load_config(write(tmp_path, MINIMAL.format(secret="s3cret-value-0123456789")), plugins)
    assert config.settings.server.port == 8080
    assert config.sources["shop"].secret.get_secret_value() == "s3cret-value-0123456789"
    assert config.data_dir == (tmp_path / "data").resolve()
    assert "s3cret-value-0123456789" in config.secrets
    assert "s3cret-value-0123456789" not in repr(config.sources["shop"])


def test_environment_and_dotenv_interpolation(tmp_path, plugins, monkeypatch):
    monkeypatch.setenv("FROM_ENV", "env-wins")
    text = MINIMAL.format(secret="${FROM_DOTENV}") + "log_level: ${LEVEL:-WARNING}\ndata_dir: ${FROM_ENV}\n"
    config = load_config(
        write(tmp_path, text, env_file="FROM_DOTENV=dotenv-secret-0123456789\nFROM_ENV=dotenv-loses\n"),
        plugins,
    )
    assert config.sources["shop"].secret.get_secret_value() == "dotenv-secret-0123456789"
    assert config.settings.log_level == "WARNING"
    assert config.settings.data_dir == "env-wins"


def test_missing_variable_names_the_key(tmp_path, plugins, monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    found = problems(tmp_path, plugins, MINIMAL.format(secret="${NOT_SET_ANYWHERE}"))
    assert "NOT_SET_ANYWHERE is not set" in found["sources.shop.secret"]


def test_every_problem_is_reported_together(tmp_path, plugins):
    text = """
server:
  port: eighty
  colour: blue
sources:
  shop:
    type: webhook
  poller:
    type: nosuchthing
  "bad name!":
    type: webhook
notifiers:
  out:
    type: console
    timezone: Mars/Olympus
"""
    found = problems(tmp_path, plugins, text)
    assert "integer" in found["server.port"]
    assert "unknown key" in found["server.colour"]
    assert "required" in found["sources.shop.secret"]
    assert "unknown source type 'nosuchthing'" in found["sources.poller.type"]
    assert "webhook" in found["sources.poller.type"]  # lists what is installed
    assert "letters, digits" in found["sources.bad name!"]
    assert "unknown time zone" in found["notifiers.out.timezone"]


def test_unknown_key_in_a_section(tmp_path, plugins):
    found = problems(
        tmp_path,
        plugins,
        MINIMAL.format(secret="x" * 16).replace("type: console", "type: console\n    colr: red"),
    )
    assert found == {"notifiers.out.colr": "unknown key; remove it or check its spelling"}


def test_malformed_yaml_says_where(tmp_path, plugins):
    found = problems(tmp_path, plugins, "sources:\n  shop: [unclosed\n")
    (message,) = found.values()
    assert "not valid YAML at line" in message


def test_no_notifier_is_an_error(tmp_path, plugins):
    found = problems(tmp_path, plugins, "sources: {}\n")
    assert "no notifier" in found["notifiers"]


def test_missing_file(tmp_path, plugins):
    with pytest.raises(ConfigError, match="payalert init"):
        load_config(tmp_path / "absent.yaml", plugins)


def test_source_filters_are_validated(tmp_path, plugins):
    text = MINIMAL.format(secret="x" * 16).replace("type: webhook", "type: webhook\n    min_amount: {inr: 5}")
    found = problems(tmp_path, plugins, text)
    assert "upper case" in found["sources.shop.min_amount"]


def test_a_key_that_would_not_show_is_quoted_in_the_error(tmp_path, plugins):
    path = tmp_path / "config.yaml"
    path.write_text('"\\x85": {}\n"  ": 1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, plugins)
    assert {where for where, _ in caught.value.problems} == {"'\\x85'", "'  '"}


@pytest.mark.parametrize(
    "secret", ['""', '"${UNSET_FOR_SHORT_SECRET:-}"', "x", "fifteen-chars-x", '"   sixteen-ish  "']
)
def test_a_short_webhook_secret_is_refused_naming_the_key(tmp_path, plugins, monkeypatch, secret):
    """Anyone could sign with an empty or guessable key: the config must refuse it, not accept every request."""
    monkeypatch.delenv("UNSET_FOR_SHORT_SECRET", raising=False)
    found = problems(tmp_path, plugins, MINIMAL.format(secret=secret))
    assert found == {
        "sources.shop.secret": "must be at least 16 characters; `payalert init` makes a strong one"
    }


def test_a_sixteen_character_webhook_secret_is_enough(tmp_path, plugins):
    config = load_config(write(tmp_path, MINIMAL.format(secret="sixteen-chars-ok")), plugins)
    assert config.sources["shop"].secret.get_secret_value() == "sixteen-chars-ok"


def _laughs(levels: int) -> str:
    """A "billion laughs" document: each level an anchored list of ten aliases to the one before."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\nnotifiers: {out: {type: console}}\n"


@pytest.mark.parametrize("levels", [6, 9])
def test_aliases_that_expand_without_bound_are_refused_at_once(tmp_path, plugins, levels):
    """Ten to the power of ``levels`` values from a few hundred bytes: refused before anything expands them."""
    text = _laughs(levels)
    assert len(text) < 600
    found = problems(tmp_path, plugins, text)
    assert list(found) == [str(tmp_path / "config.yaml")]
    assert "aliases" in found[str(tmp_path / "config.yaml")]
    assert "100000" in found[str(tmp_path / "config.yaml")].replace(",", "")


def test_an_alias_inside_the_value_it_names_is_refused(tmp_path, plugins):
    found = problems(tmp_path, plugins, "sources: &loop {shop: *loop}\nnotifiers: {out: {type: console}}\n")
    (message,) = found.values()
    assert "*loop" in message and "contains it" in message


def test_nesting_deeper_than_any_config_is_a_clear_error(tmp_path, plugins):
    found = problems(tmp_path, plugins, "x: " + "[" * 5000 + "]" * 5000 + "\n")
    (message,) = found.values()
    assert "nested too deeply" in message


def test_anchors_and_aliases_for_shared_settings_still_work(tmp_path, plugins):
    text = """
sources:
  shop: &shop
    type: webhook
    secret: &key a-secret-of-twenty-chars
    min_amount: &limits {INR: 100}
  shop2: {type: webhook, secret: *key, min_amount: *limits}
  shop3: {<<: *shop, exclude_kinds: [webhook.refund]}
notifiers: {out: {type: console}}
"""
    config = load_config(write(tmp_path, text), plugins)
    assert config.sources["shop2"].min_amount == {"INR": 100}
    assert config.sources["shop3"].secret.get_secret_value() == "a-secret-of-twenty-chars"
    assert config.sources["shop3"].exclude_kinds == ["webhook.refund"]


INLINE_SECRET = "Inline-Secret-Value-123"
INLINE_TOKEN = "123456:Inline-Token-Value-xyz"


@pytest.mark.parametrize(
    "mistake",
    [
        "notifiers: {out: {type: console, timezone: Inline-Secret-Value-123}}",  # the secret as a zone
        "notifiers: {out: {type: console, Inline-Secret-Value-123: x}}",  # the secret as a key
        "notifiers: {out: {type: console, timezone: '123456:Inline-Token-Value-xyz'}}",  # a token as a zone
        "notifiers: {out: {type: Inline-Secret-Value-123}}",  # the secret as a type
    ],
)
def test_an_inline_secret_used_under_another_key_is_never_echoed(tmp_path, plugins, mistake):
    """The value of a secret field, written in the file itself, pasted somewhere else by mistake."""
    text = f"""
sources:
  shop: {{type: webhook, secret: {INLINE_SECRET}}}
{mistake.replace("notifiers: {", "notifiers: {tg: {type: telegram, token: '" + INLINE_TOKEN + "'}, ", 1)}
"""
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), plugins)
    text_shown = str(caught.value)
    assert "notifiers.out" in text_shown and "notifiers.tg.destinations" in text_shown  # both still reported
    assert INLINE_SECRET not in text_shown and "Inline-Token-Value-xyz" not in text_shown


def test_a_secret_from_the_environment_is_named_by_its_variable(tmp_path, plugins, monkeypatch):
    monkeypatch.setenv("PAYALERT_TEST_ZONE", "Env-Secret-Value-12345")
    text = MINIMAL.format(secret="${PAYALERT_TEST_ZONE}").replace(
        "type: console", "type: console\n    timezone: ${PAYALERT_TEST_ZONE}"
    )
    found = problems(tmp_path, plugins, text)
    assert "Env-Secret-Value-12345" not in str(found)
    assert "${PAYALERT_TEST_ZONE}" in found["notifiers.out.timezone"]


def test_only_the_configured_sections_build_their_validators(tmp_path):
    """An installed plugin nobody configures costs no validator (nor its memory) in the daemon."""
    path = write(tmp_path, MINIMAL.format(secret="s3cret-value-0123456789"))
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from payalert_core.config import load_config\n"
        "from payalert_core.plugins import get_plugin_manager\n"
        "plugins = get_plugin_manager()\n"
        "load_config(Path(sys.argv[1]), plugins)\n"
        "kinds = {**plugins.sources, **plugins.notifiers}\n"
        "print(json.dumps({name: cls.Config.__pydantic_complete__ for name, cls in kinds.items()}))\n"
    )
    built = json.loads(
        subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        ).stdout
    )
    assert built.pop("webhook") is True and built.pop("console") is True
    assert built, "no other source or notifier type is installed to compare with"
    assert not any(built.values()), (
        f"built without being configured: {sorted(k for k, v in built.items() if v)}"
    )


class _Unbuildable:
    """A type pydantic has no schema for."""


def test_a_plugin_config_class_that_cannot_be_built_is_a_config_problem(tmp_path, plugins):
    class BrokenConfig(SourceConfig):
        setting: _Unbuildable

    class BrokenSource(PolledSource):
        type_name = "broken"
        Config = BrokenConfig

    with_broken = dataclasses.replace(plugins, sources={**plugins.sources, "broken": BrokenSource})
    text = "sources:\n  shop:\n    type: broken\n    setting: 1\nnotifiers:\n  out:\n    type: console\n"
    found = problems(tmp_path, with_broken, text)
    assert list(found) == ["sources.shop.type"]
    assert (
        "the plugin providing 'broken' has a config class that cannot be built" in found["sources.shop.type"]
    )
