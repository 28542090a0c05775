"""Properties of config loading: any document gives a Config or a ConfigError naming key paths, never a secret."""

from __future__ import annotations

import copy
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from payalert_testing.fuzzing import fuzz_settings, value_paths

from payalert_core import ConfigError, UserError
from payalert_core.config import Config, load_config
from payalert_core.plugins import Plugins, get_plugin_manager

FUZZ = fuzz_settings(200)
SECRET_KEYS = {("webhook", "secret"), ("github", "secret"), ("binance", "api_key"), ("binance", "api_secret")}
SECRET_KEYS |= {("imap", "password"), ("telegram", "token")}


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    """Every installed plugin (the config types come from them)."""
    return get_plugin_manager()


def base_config(secrets: list[str]) -> dict[str, Any]:
    """A valid config using every source and notifier type, each secret in its place."""
    webhook, github, api_key, api_secret, password, token = secrets
    return {
        "data_dir": "./data",
        "log_level": "INFO",
        "server": {"host": "127.0.0.1", "port": 8080, "max_body_bytes": 65536, "shutdown_grace": "5s"},
        "delivery": {"retry_initial": "2s", "retry_max": "5m", "give_up_after": "1d"},
        "sources": {
            "shop": {"type": "webhook", "secret": webhook, "min_amount": {"INR": 100}},
            "gh": {"type": "github", "secret": github, "actions": ["created", "cancelled"]},
            "bn": {"type": "binance", "api_key": api_key, "api_secret": api_secret, "interval": "60s"},
            "bank": {
                "type": "imap",
                "host": "imap.example.test",
                "username": "me@example.test",
                "password": password,
                "authserv_id": "mx.google.com",
                "folders": ["INBOX"],
                "backfill": "3d",
            },
        },
        "notifiers": {
            "out": {"type": "console", "timezone": "Asia/Kolkata"},
            "tg": {"type": "telegram", "token": token, "destinations": [111, "@alerts"], "timeout": "10s"},
        },
    }


_TAIL = string.ascii_letters + string.digits + "!*&%@#$^()[]{}:;,.?/\\|'\"`~-_+= "
#: Secrets: a distinctive start (so a chance match in a message is impossible) and any tail.
_SECRETS = st.tuples(
    *[st.text(alphabet=_TAIL, min_size=12, max_size=24).map(lambda t, i=i: f"Zq{i}x{t}") for i in range(5)],
    st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=8, max_size=30).map(
        lambda t: f"7654321:Zq5x{t}"
    ),
).filter(lambda secrets: all("${" not in secret for secret in secrets))

_ODD_SCALARS = st.sampled_from(
    [
        "99999999999999999999d",
        "1e400",
        "-5s",
        "0",
        "",
        "${UNSET_VARIABLE_FOR_FUZZ}",
        "${SECRET_FROM_ENV}",
        "${UNSET_VARIABLE_FOR_FUZZ:-1s}",
        "webhook",
        "github",
        "binance",
        "imap",
        "telegram",
        "console",
        "recorder",
        float("inf"),
        float("nan"),
        -1,
        2**70,
        True,
        None,
        "Asia/Nowhere",
        "a b",
        "name.with.dots",
    ]
)
_VALUES = st.recursive(
    _ODD_SCALARS | st.integers() | st.floats() | st.text(max_size=20) | st.booleans() | st.none(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=6,
)


#: Keys whose values the loader does the most with: mutated more often than the rest.
HOT_KEYS = {
    "type",
    "secret",
    "api_key",
    "api_secret",
    "password",
    "token",
    "interval",
    "retry_initial",
    "retry_max",
    "give_up_after",
    "shutdown_grace",
    "backfill",
    "timeout",
    "min_amount",
    "destinations",
    "port",
    "timezone",
}


def _parent(root: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        root = root[step]
    return root


@st.composite
def mutated_configs(draw: Any) -> tuple[dict[str, Any], list[str]]:
    """A valid full config with a few values replaced, keys deleted or added, and its secrets."""
    secrets = list(draw(_SECRETS))
    config = base_config(secrets)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = value_paths(config)[1:]  # not the root itself
        hot = [
            path
            for path in paths
            if path[-1] in HOT_KEYS or (path[0] in ("sources", "notifiers") and len(path) == 2)
        ]
        pool = hot if hot and draw(st.sampled_from(["hot", "hot", "any"])) == "hot" else paths
        if not pool:
            break
        path = draw(st.sampled_from(pool))
        parent = _parent(config, path)
        operation = draw(st.sampled_from(["replace", "replace", "paste", "delete", "add", "rename"]))
        if operation == "replace":
            parent[path[-1]] = draw(_VALUES)
        elif operation == "paste":  # a secret under the wrong key, or as a key, by mistake
            secret = draw(st.sampled_from(secrets))
            if isinstance(parent, dict) and draw(st.booleans()):
                parent[secret] = parent.pop(path[-1])
            else:
                parent[path[-1]] = secret
        elif operation == "delete":
            del parent[path[-1]]
        elif operation == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=12) | st.integers())] = draw(_VALUES)
        elif operation == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=70) | st.integers() | st.none())] = parent.pop(path[-1])
    return config, secrets


def load(tmp_path: Path, plugins: Plugins, text: str, env_secret: str | None = None) -> Config | UserError:
    """Write ``text`` (and a .env) and load it; a UserError is returned, anything else raises."""
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    env = tmp_path / ".env"
    if env_secret is not None and "'" not in env_secret:
        env.write_text(f"SECRET_FROM_ENV='{env_secret}'\n", encoding="utf-8")
    elif env.exists():
        env.unlink()
    try:
        return load_config(path, plugins)
    except UserError as error:  # ConfigError is one
        return error


def held_secrets(config: Any, secrets: list[str], env_secret: str | None) -> list[str]:
    """The secrets still in a secret field after mutation: only those can be known to be secret."""
    held = set()
    for group in ("sources", "notifiers"):
        sections = config.get(group) if isinstance(config, dict) else None
        for section in sections.values() if isinstance(sections, dict) else ():
            for type_name, key in SECRET_KEYS:
                if isinstance(section, dict) and section.get("type") == type_name:
                    value = section.get(key)
                    if isinstance(value, str):
                        held.add(env_secret if value == "${SECRET_FROM_ENV}" else value)
    return [secret for secret in secrets if secret in held]


def check_error(error: UserError, secrets: Sequence[str] = ()) -> None:
    """Every problem names a key path (or the file) in one line, and no secret appears."""
    problems = error.problems if isinstance(error, ConfigError) else [("(config)", str(error))]
    assert problems, "a ConfigError with no problem in it"
    for where, message in problems:
        assert where.strip() and message.strip(), problems
        assert "\n" not in message, message
    text = str(error)
    for secret in secrets:
        assert secret not in text, f"secret {secret!r} in: {text}"
        bot_id, colon, token_secret = secret.partition(":")
        if colon and bot_id.isdigit():  # a Telegram token: its secret part, after the bot id
            assert token_secret not in text


def test_the_base_config_is_valid(tmp_path: Path, plugins: Plugins) -> None:
    secrets = [f"Zq{i}x-valid-secret" for i in range(5)] + ["7654321:Zq5xAAvalid"]
    loaded = load(tmp_path, plugins, yaml.safe_dump(base_config(secrets)))
    assert isinstance(loaded, Config), loaded
    assert set(secrets) <= loaded.secrets


def test_mutated_valid_configs_load_or_name_the_key_without_secrets(tmp_path: Path, plugins: Plugins) -> None:
    outcomes = {"config": 0, "error": 0}
    # Unmutated, once from the file and once from .env: the valid side is always covered, not by luck.
    untouched = [f"Zq{i}x-secret-value" for i in range(5)] + ["7654321:Zq5xtokenvalue"]

    @FUZZ
    @example(case=(base_config(untouched), untouched), from_env=False)
    @example(case=(base_config(untouched), untouched), from_env=True)
    @given(case=mutated_configs(), from_env=st.booleans())
    def check(case: tuple[dict[str, Any], list[str]], from_env: bool) -> None:
        config, secrets = case
        # The secret comes through ${SECRET_FROM_ENV} from .env instead of the file; .env holds it in
        # single quotes (taken literally there), which cannot hold a single quote: such a one stays.
        from_env = from_env and "'" not in secrets[4]
        if from_env:
            config = copy.deepcopy(config)
            bank = config.get("sources", {}).get("bank") if isinstance(config.get("sources"), dict) else None
            if isinstance(bank, dict) and bank.get("password") == secrets[4]:
                bank["password"] = "${SECRET_FROM_ENV}"
        loaded = load(tmp_path, plugins, yaml.safe_dump(config, allow_unicode=True), env_secret=secrets[4])
        if isinstance(loaded, UserError):
            outcomes["error"] += 1
            check_error(loaded, held_secrets(config, secrets, secrets[4] if from_env else None))
        else:
            outcomes["config"] += 1

    check()
    assert outcomes["config"] and outcomes["error"], outcomes


def test_random_yaml_documents_load_or_fail_cleanly(tmp_path: Path, plugins: Plugins) -> None:
    @FUZZ
    @given(
        document=_VALUES | st.dictionaries(st.sampled_from(["sources", "notifiers", "server", "x"]), _VALUES)
    )
    def check(document: Any) -> None:
        loaded = load(tmp_path, plugins, yaml.safe_dump(document, allow_unicode=True))
        if isinstance(loaded, UserError):
            check_error(loaded)

    check()


def test_random_text_loads_or_fails_cleanly(tmp_path: Path, plugins: Plugins) -> None:
    @settings(FUZZ, max_examples=100)
    @given(text=st.text(max_size=300))
    def check(text: str) -> None:
        loaded = load(tmp_path, plugins, text)
        if isinstance(loaded, UserError):
            check_error(loaded)

    check()


def test_edited_config_text_never_shows_a_secret(tmp_path: Path, plugins: Plugins) -> None:
    """Typing mistakes in the file itself (a deleted colon, a stray quote) must not echo a secret."""

    @settings(FUZZ, max_examples=100)
    @given(secrets=_SECRETS, data=st.data())
    def check(secrets: tuple[str, ...], data: Any) -> None:
        text = yaml.safe_dump(base_config(list(secrets)))
        for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
            start = data.draw(st.integers(0, len(text)))
            end = data.draw(st.integers(start, min(len(text), start + 3)))
            text = (
                text[:start]
                + data.draw(st.sampled_from(list(":'\"{}[]-#&*!|>%@`\t \n")) | st.text(max_size=2))
                + text[end:]
            )
        loaded = load(tmp_path, plugins, text)
        if isinstance(loaded, UserError):
            check_error(loaded, list(secrets))

    check()


@pytest.mark.parametrize("value", ["!Zq9x-starts-with-a-bang", "*Zq9x-starts-with-a-star"])
@pytest.mark.parametrize(("section", "key"), [("shop", "secret"), ("bank", "password")])
def test_an_unquoted_secret_that_yaml_misreads_is_not_echoed(
    tmp_path: Path, plugins: Plugins, value: str, section: str, key: str
) -> None:
    """Passwords may start with ! or *: unquoted, YAML reads a tag or an alias, and the error must not show it."""
    secrets = [f"Zq{i}x-valid-secret" for i in range(5)] + ["7654321:Zq5xAAvalid"]
    text = yaml.safe_dump(base_config(secrets))
    old = secrets[0] if key == "secret" else secrets[4]
    text = text.replace(f"{key}: {old}", f"{key}: {value}")
    assert value in text
    loaded = load(tmp_path, plugins, text)
    assert isinstance(loaded, UserError)
    check_error(loaded, [value, value[1:]])


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("delivery", {"retry_initial": "${SECRET_FROM_ENV}"}),
        ("notifiers", {"tg": {"type": "telegram", "token": "1:abc", "destinations": ["${SECRET_FROM_ENV}"]}}),
        ("notifiers", {"out": {"type": "console", "timezone": "${SECRET_FROM_ENV}"}}),
    ],
)
def test_a_secret_variable_put_under_the_wrong_key_is_not_echoed(
    tmp_path: Path, plugins: Plugins, where: str, value: dict[str, Any]
) -> None:
    """The .env variable holding the IMAP password, referenced by mistake where a duration, chat or zone goes."""
    secret = "Zq9x-password-from-dotenv"
    config = base_config([f"Zq{i}x-valid-secret" for i in range(5)] + ["7654321:Zq5xAAvalid"])
    config["sources"]["bank"]["password"] = "${SECRET_FROM_ENV}"
    config[where] = {**config[where], **value}
    loaded = load(tmp_path, plugins, yaml.safe_dump(config), env_secret=secret)
    assert isinstance(loaded, UserError)
    check_error(loaded, [secret])
