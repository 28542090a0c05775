"""Plugin discovery: built-ins plus the ``payalert`` entry-point group, each load guarded."""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass, field
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


def get_plugin_manager() -> Plugins:
    """Load built-ins, entry points and ``PAYALERT_EXTRA_PLUGINS``; collect registered classes.

    A plugin that fails to import is recorded in ``errors`` and the others still load. A hook
    implementation with no matching spec (a misspelt name) raises :class:`UserError`.
    """
    manager = pluggy.PluginManager("payalert")
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager=manager)
    disabled = set(_names_from_env(DISABLED_ENV))

    def register(module: object, name: str, package: str, version: str) -> None:
        manager.register(module, name=name)
        plugins.loaded.append(PluginInfo(name, package, version))

    for module_name in BUILTIN_PLUGINS:
        if module_name in disabled or module_name.rsplit(".", 1)[-1] in disabled:
            continue
        try:
            module = importlib.import_module(module_name)
        except Exception as error:
            plugins.errors.append(
                PluginLoadError(module_name, "payalert-core", f"{type(error).__name__}: {error}")
            )
            continue
        register(module, module_name, "payalert-core", _version("payalert-core"))

    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        package = entry_point.dist.name if entry_point.dist else "?"
        if entry_point.name in disabled or manager.has_plugin(entry_point.name):
            continue
        try:
            module = entry_point.load()
        except Exception as error:  # one broken plugin must not stop the others
            log.error("plugin %s (package %s) failed to load: %s", entry_point.name, package, error)
            plugins.errors.append(
                PluginLoadError(entry_point.name, package, f"{type(error).__name__}: {error}")
            )
            continue
        register(module, entry_point.name, package, entry_point.dist.version if entry_point.dist else "?")

    for module_name in _names_from_env(EXTRA_ENV):
        if module_name in disabled or manager.has_plugin(module_name):
            continue
        try:
            module = importlib.import_module(module_name)
        except Exception as error:
            plugins.errors.append(
                PluginLoadError(module_name, "(PAYALERT_EXTRA_PLUGINS)", f"{type(error).__name__}: {error}")
            )
            continue
        register(module, module_name, "(PAYALERT_EXTRA_PLUGINS)", "")

    manager.hook.payalert_add_hookspecs(plugin_manager=manager)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise UserError(f"plugin {error.plugin!r} implements a hook that does not exist: {error}") from None

    _collect(plugins)
    return plugins


def _collect(plugins: Plugins) -> None:
    def collector(kind: str, into: dict, base: type) -> object:
        def register(cls: type) -> None:
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise UserError(
                    f"a plugin registered {cls!r} as a {kind}, but it is not a {base.__name__} subclass"
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
