"""Plugin discovery: built-ins plus the ``payalert`` entry-point group, each load guarded."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import entry_points

import pluggy

from . import hookspecs
from .errors import UserError
from .notifier import Notifier
from .source import Source

log = logging.getLogger("payalert.plugins")

ENTRY_POINT_GROUP = "payalert"
BUILTIN_PLUGINS = (
    "payalert_core.notifiers.console",
    "payalert_core.notifiers.telegram",
    "payalert_core.sources.webhook",
)
#: Comma-separated plugin names (entry-point names or built-in module names) not to load.
DISABLED_ENV = "PAYALERT_DISABLED_PLUGINS"
#: Comma-separated importable modules to load as plugins without packaging them (development, tests).
EXTRA_ENV = "PAYALERT_EXTRA_PLUGINS"
#: Hooks whose implementations each see the previous one's result: called plugin by plugin.
CHAINED_HOOKS = ("payalert_process_payment",)


@dataclass(frozen=True)
class PluginLoadError:
    """A plugin that could not be loaded, and why."""

    plugin: str
    package: str
    error: str


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its name and the distribution (with version) it comes from."""

    name: str
    package: str
    version: str


@dataclass
class Plugins:
    """The loaded plugin manager and what its plugins registered."""

    manager: pluggy.PluginManager
    sources: dict[str, type[Source]] = field(default_factory=dict)
    notifiers: dict[str, type[Notifier]] = field(default_factory=dict)
    loaded: list[PluginInfo] = field(default_factory=list)
    errors: list[PluginLoadError] = field(default_factory=list)


def _names_from_env(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


@dataclass(frozen=True)
class _Candidate:
    """A plugin to load: its name, where it comes from, and how to import it."""

    name: str
    package: str
    version: str
    load: Callable[[], object]


def _candidates() -> Iterator[_Candidate]:
    """Built-ins, then entry points, then ``PAYALERT_EXTRA_PLUGINS``, in load order."""
    core_version = _version("payalert-core")
    for module_name in BUILTIN_PLUGINS:
        yield _Candidate(
            module_name, "payalert-core", core_version, partial(importlib.import_module, module_name)
        )
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist
        package, version = (distribution.name, distribution.version) if distribution else ("?", "?")
        yield _Candidate(entry_point.name, package, version, entry_point.load)
    for module_name in _names_from_env(EXTRA_ENV):
        yield _Candidate(
            module_name, "(PAYALERT_EXTRA_PLUGINS)", "", partial(importlib.import_module, module_name)
        )


def _is_disabled(name: str, disabled: set[str]) -> bool:
    """A built-in may be disabled by its module name or its last part (``console``)."""
    return name in disabled or (name in BUILTIN_PLUGINS and name.rsplit(".", 1)[-1] in disabled)


def get_plugin_manager() -> Plugins:
    """Load built-ins, entry points and ``PAYALERT_EXTRA_PLUGINS``; collect registered classes.

    A plugin that fails to import is recorded in ``errors`` and the others still load. A hook
    implementation with no matching spec (a misspelt name), or a wrapper of a hook that cannot
    be wrapped, raises :class:`UserError`.
    """
    manager = pluggy.PluginManager("payalert")
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager=manager)
    disabled = set(_names_from_env(DISABLED_ENV))
    for candidate in _candidates():
        if _is_disabled(candidate.name, disabled) or manager.has_plugin(candidate.name):
            continue
        try:
            module = candidate.load()
        except Exception as error:  # one broken plugin must not stop the others
            log.error("plugin %s (package %s) failed to load: %s", candidate.name, candidate.package, error)
            plugins.errors.append(
                PluginLoadError(candidate.name, candidate.package, f"{type(error).__name__}: {error}")
            )
            continue
        manager.register(module, name=candidate.name)
        plugins.loaded.append(PluginInfo(candidate.name, candidate.package, candidate.version))

    manager.hook.payalert_add_hookspecs(plugin_manager=manager)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise UserError(f"plugin {error.plugin!r} implements a hook that does not exist: {error}") from None
    refuse_chain_wrappers(manager)

    _collect(plugins)
    return plugins


def refuse_chain_wrappers(manager: pluggy.PluginManager) -> None:
    """Raise :class:`UserError` for a wrapper of a hook whose implementations form a chain.

    Each ``payalert_process_payment`` implementation receives the payment the previous one
    returned, so the core calls that hook once per plugin and a wrapper would wrap only its own
    plugin: it is refused here rather than silently wrapping nothing.
    """
    for hook_name in CHAINED_HOOKS:
        for implementation in getattr(manager.hook, hook_name).get_hookimpls():
            if implementation.wrapper or implementation.hookwrapper:
                raise UserError(
                    f"plugin {implementation.plugin_name!r}: {hook_name} cannot be a wrapper, because "
                    "each implementation receives the payment the previous one returned; "
                    "implement it without wrapper=True / hookwrapper=True"
                )


def _collect(plugins: Plugins) -> None:
    def collector(kind: str, into: dict, base: type) -> object:
        def register(cls: type) -> None:
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise UserError(
                    f"a plugin registered {cls!r} as a {kind}, but it is not a {base.__name__} subclass"
                )
            if base is Source and getattr(cls, "kind", None) not in ("polled", "push", "stream"):
                raise UserError(
                    f"source class {cls.__qualname__} is none of the kinds: subclass PolledSource, "
                    "PushSource or StreamSource"
                )
            type_name = getattr(cls, "type_name", None)
            if not type_name:
                raise UserError(f"{kind} class {cls.__qualname__} has no type_name")
            if type_name in into and into[type_name] is not cls:
                raise UserError(
                    f"two plugins register a {kind} named {type_name!r}: {into[type_name].__module__} and {cls.__module__}"
                )
            into[type_name] = cls

        return register

    plugins.manager.hook.payalert_register_sources(register=collector("source", plugins.sources, Source))
    plugins.manager.hook.payalert_register_notifiers(
        register=collector("notifier", plugins.notifiers, Notifier)
    )


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"
