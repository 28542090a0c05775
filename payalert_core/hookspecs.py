"""The hooks payalert calls. Every hook is prefixed ``payalert_``; arguments are only ever added."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import pluggy

if TYPE_CHECKING:
    import click

    from .model import Payment
    from .notifier import Notifier
    from .source import Source

hookspec = pluggy.HookspecMarker("payalert")


@hookspec
def payalert_register_sources(register: Callable[[type[Source]], None]) -> None:
    """Register source classes.

    Called once at start-up, before the config is validated. Call ``register`` with each
    :class:`~payalert_core.Source` subclass the plugin provides; its ``type_name`` is the ``type:``
    users write in ``config.yaml``. The core makes one instance per config entry of that type.

    .. versionadded:: 0.1
    """


@hookspec
def payalert_register_notifiers(register: Callable[[type[Notifier]], None]) -> None:
    """Register notifier classes.

    Called once at start-up, like :func:`payalert_register_sources`, with ``register`` taking a
    :class:`~payalert_core.Notifier` subclass. Built-in notifiers use this hook too.

    .. versionadded:: 0.1
    """


@hookspec
def payalert_process_payment(payment: Payment) -> Payment | Literal[False] | None:
    """Veto or reshape a payment before it is stored.

    Called for every payment a source ingests, after the source's own ``min_amount`` and kind
    filters, in plugin order; each implementation sees the previous one's result. Return ``None``
    to leave the payment as it is, a new :class:`~payalert_core.Payment` (``payment.replace(...)``)
    to change it, or ``False`` to drop it (counted as filtered, never stored, never alerted).

    .. versionadded:: 0.1
    """


@hookspec
def payalert_register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``payalert`` command line.

    Called once when the CLI starts. ``cli`` is the top-level click group: add a group named
    after the plugin (``payalert github send-test``) with ``cli.add_command``.

    .. versionadded:: 0.1
    """


@hookspec
def payalert_add_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Let a plugin declare hooks of its own (e.g. payalert-imap's parser registration).

    Called once after every plugin is loaded and before hook implementations are checked; call
    ``plugin_manager.add_hookspecs(module)``.

    .. versionadded:: 0.1
    """
