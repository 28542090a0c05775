"""Load ``config.yaml``: ``${VAR}`` interpolation, ``.env`` beside it, and validation with key paths."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PydanticUserError,
    SecretStr,
    ValidationError,
    field_validator,
)

from .bounds import one_line
from .configtypes import Duration, NotifierConfig, SourceConfig
from .configyaml import YamlBoundError, load_yaml
from .errors import ConfigError
from .plugins import Plugins
from .redaction import MIN_HIDDEN_LENGTH, Redactor, secret_strings, validated_secrets
from .statuspage.settings import StatusPageSettings
from .store.settings import StoreSettings

DEFAULT_CONFIG = "config.yaml"
CONFIG_ENV = "PAYALERT_CONFIG"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


class ServerSettings(BaseModel):
    """The HTTP server: push sources, /health and /metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", description="Address to listen on; 0.0.0.0 for every interface.")
    port: int = Field(default=8080, ge=0, le=65535, description="TCP port (0 picks a free one).")
    max_body_bytes: int = Field(default=1024 * 1024, gt=0, description="Larger request bodies get 413.")
    shutdown_grace: Duration = Field(
        default=timedelta(seconds=10), description="How long in-flight requests and sends may finish."
    )
    header_timeout: Duration = Field(
        default=timedelta(seconds=10),
        description="Time a client has to send a request's headers (and how long an idle connection stays open).",
    )
    body_timeout: Duration = Field(
        default=timedelta(seconds=30), description="Time a client has to send a webhook's body; then 408."
    )


class DeliverySettings(BaseModel):
    """How failed sends are retried."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retry_initial: Duration = Field(default=timedelta(seconds=2), description="First retry delay.")
    retry_max: Duration = Field(default=timedelta(minutes=5), description="Longest retry delay.")
    give_up_after: Duration | None = Field(
        default=None, description="Mark a delivery failed after retrying this long (default: never)."
    )


class HealthSettings(BaseModel):
    """Who may read the details of /health, and /metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: SecretStr | None = Field(
        default=None,
        description="Bearer token that shows /health's details; without it /health shows only status and problems.",
    )
    protect_metrics: bool = Field(default=True, description="With a token set, /metrics requires it too.")

    @field_validator("token")
    @classmethod
    def _long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters; make one with `openssl rand -hex 32`")
        return token


class Settings(BaseModel):
    """The top level of ``config.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: str = Field(default="./data", description="SQLite store; relative to the config file.")
    store: StoreSettings | None = Field(
        default=None, description="A PostgreSQL store shared by several nodes (default: SQLite in data_dir)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    server: ServerSettings = Field(default_factory=ServerSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    status_page: StatusPageSettings = Field(default_factory=StatusPageSettings)
    sources: dict[str, dict[str, Any]] = Field(default_factory=dict)
    notifiers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    catch_up_after: Duration = Field(
        default=timedelta(minutes=10),
        description="After a downtime longer than this, one line tells how many payments arrived meanwhile.",
    )


@dataclass
class Config:
    """A validated configuration: settings plus one typed config per source and notifier."""

    path: Path
    settings: Settings
    sources: dict[str, SourceConfig]
    notifiers: dict[str, NotifierConfig]
    secrets: set[str] = field(default_factory=set)
    #: Hides secrets and values from ``${VAR}`` in a text meant for the user (errors, listings).
    redact: Redactor = field(default_factory=Redactor)

    @property
    def data_dir(self) -> Path:
        """The data directory, resolved against the config file's folder."""
        return (self.path.parent / self.settings.data_dir).resolve()

    @property
    def store_path(self) -> Path:
        """The SQLite database in the data directory."""
        return self.data_dir / "payalert.sqlite3"


def default_config_path() -> Path:
    """``$PAYALERT_CONFIG`` or ``./config.yaml``."""
    return Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG))


def load_config(path: Path, plugins: Plugins) -> Config:
    """Read, interpolate and validate ``path``; raise ConfigError listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([(str(path), "file not found; create one with `payalert init`")]) from None
    except OSError as error:
        raise ConfigError([(str(path), f"cannot be read: {error.strerror}")]) from None
    try:
        document = load_yaml(text)
    except YamlBoundError as error:
        raise ConfigError([(str(path), f"not a config payalert can read: {error}")]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(error, "problem", None) or "invalid YAML"
        if "tag" in problem or "alias" in problem:  # the rest of the line (perhaps a secret) follows
            problem = "a value starting with ! or * must be quoted"
        raise ConfigError([(str(path), f"not valid YAML at {where}: {problem}")]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(
            [(str(path), "the top level must be a mapping of keys such as sources and notifiers")]
        )

    env = {**{k: v for k, v in dotenv_values(path.parent / ".env").items() if v is not None}, **os.environ}
    problems: list[tuple[str, str]] = []
    variables: dict[str, str] = {}
    raw, document = document, _interpolate(document, env, (), problems, path, variables)
    secrets = _secrets(raw, document, variables, plugins)
    redact = Redactor(secrets, variables)
    try:
        config = _validate(path, document, plugins, problems)
    except ConfigError as error:  # never echo a secret, nor a value from the environment
        raise ConfigError([(redact(where), redact(message)) for where, message in error.problems]) from None
    secrets |= validated_secrets([*config.sources.values(), *config.notifiers.values(), config.settings])
    config.secrets = {secret for secret in secrets if len(secret) >= MIN_HIDDEN_LENGTH}
    config.redact = Redactor(config.secrets, variables)
    return config


def _secrets(raw: dict, document: dict, variables: dict[str, str], plugins: Plugins) -> set[str]:
    """Values in secret fields, and the values of variables used in them, valid or not."""
    found_raw = secret_strings(Settings, raw)
    found = secret_strings(Settings, document)
    for group, registry in (("sources", plugins.sources), ("notifiers", plugins.notifiers)):
        sections, raw_sections = document.get(group), raw.get(group)
        if not isinstance(sections, dict) or not isinstance(raw_sections, dict):
            continue
        for name, section in sections.items():
            type_name = section.get("type") if isinstance(section, dict) else None
            cls = registry.get(type_name) if isinstance(type_name, str) else None
            if cls is not None:
                found += secret_strings(cls.Config, section)
                found_raw += secret_strings(cls.Config, raw_sections.get(name))
    named = {match.group(1) for text in found_raw for match in _VARIABLE.finditer(text)}
    return {*found, *(variables[name] for name in named if name in variables)}


def _interpolate(
    value: Any, env: dict[str, str], where: tuple, problems: list, path: Path, used: dict[str, str]
) -> Any:
    """``value`` with each ``${VAR}`` replaced; ``used`` collects the variables taken from ``env``."""
    if isinstance(value, dict):
        return {
            key: _interpolate(item, env, (*where, key), problems, path, used) for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _interpolate(item, env, (*where, index), problems, path, used) for index, item in enumerate(value)
        ]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env and env[name] != "":
            used[name] = env[name]
            return env[name]
        if default is not None:
            return default
        problems.append(
            (
                _dotted(where),
                f"environment variable {name} is not set; export it or add it to {path.parent / '.env'}",
            )
        )
        return ""

    return _VARIABLE.sub(substitute, value)


def _validate(path: Path, document: dict, plugins: Plugins, problems: list[tuple[str, str]]) -> Config:
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(document)
    except ValidationError as error:
        problems.extend(_problems(error, ()))
    raw_sources: dict[str, Any] = document["sources"] if isinstance(document.get("sources"), dict) else {}
    raw_notifiers: dict[str, Any] = (
        document["notifiers"] if isinstance(document.get("notifiers"), dict) else {}
    )

    sources = _validate_sections("sources", raw_sources, plugins.sources, problems)
    notifiers = _validate_sections("notifiers", raw_notifiers, plugins.notifiers, problems)
    if settings is not None and not notifiers and not any(p[0].startswith("notifiers") for p in problems):
        problems.append(("notifiers", "no notifier is configured; add one (e.g. `console: {type: console}`)"))
    if problems or settings is None:
        raise ConfigError(_one_cause_per_key(problems))
    return Config(path=path.resolve(), settings=settings, sources=sources, notifiers=notifiers)


def _validate_sections(
    group: str, raw: dict[str, Any], registry: Mapping[str, Any], problems: list[tuple[str, str]]
) -> dict[str, Any]:
    validated: dict[str, Any] = {}
    for name, section in raw.items():
        where = (group, str(name))
        if not _NAME.match(str(name)):
            problems.append((_dotted(where), "names may hold letters, digits, - and _ (at most 64)"))
            continue
        if not isinstance(section, dict):
            problems.append((_dotted(where), "must be a mapping with at least a `type:` key"))
            continue
        type_name = section.get("type")
        if type_name is None:
            problems.append((_dotted((*where, "type")), f"missing; choose one of: {_choices(registry)}"))
            continue
        if not isinstance(type_name, str):
            problems.append(
                (_dotted((*where, "type")), f"must be a name; choose one of: {_choices(registry)}")
            )
            continue
        cls = registry.get(type_name)
        if cls is None:
            problems.append(
                (
                    _dotted((*where, "type")),
                    f"unknown {group[:-1]} type {type_name!r}; installed types: {_choices(registry)}"
                    " (install the plugin that provides it, e.g. pip install payalert-"
                    + str(type_name)
                    + ")",
                )
            )
            continue
        try:
            validated[name] = cls.Config.model_validate(section)
        except ValidationError as error:
            problems.extend(_problems(error, where))
        except PydanticUserError as error:  # built on first use: a plugin's class pydantic cannot build
            problems.append(
                (
                    _dotted((*where, "type")),
                    f"the plugin providing {type_name!r} has a config class that cannot be built "
                    f"({one_line(str(error), 200)}); update the plugin or report it to its authors",
                )
            )
    return validated


def _one_cause_per_key(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop what follows from an earlier problem at the same key (an unset variable left it empty)."""
    seen: set[str] = set()
    kept = []
    for where, message in problems:
        if where not in seen:
            seen.add(where)
            kept.append((where, message))
    return kept


def _choices(registry: Mapping[str, Any]) -> str:
    return ", ".join(sorted(registry)) or "(none installed)"


def _problems(error: ValidationError, prefix: tuple) -> list[tuple[str, str]]:
    found = []
    for detail in error.errors(include_url=False, include_input=False):
        location = (*prefix, *detail["loc"])
        kind = detail["type"]
        message = detail["msg"]
        if kind == "extra_forbidden":
            message = "unknown key; remove it or check its spelling"
        elif kind == "missing":
            message = "missing; this key is required"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        elif message.startswith("Input should be"):
            message = "must be" + message[len("Input should be") :]
        found.append((_dotted(location), message))
    return found


def _dotted(location: tuple) -> str:
    return ".".join(_key_text(part) for part in location) or "(top level)"


def _key_text(part: object) -> str:
    """A key as typed, or quoted when it would not show (blank, or with control characters)."""
    text = str(part)
    return text if text.strip() and text.isprintable() else repr(text)
