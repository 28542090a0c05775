"""The hooks payalert finds through the ``payalert`` entry point ``banktext``."""

from __future__ import annotations

import pluggy

from payalert_core import hookimpl

from . import hookspecs


@hookimpl
def payalert_add_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Declare ``payalert_register_parsers``, the hook parser plugins implement."""
    plugin_manager.add_hookspecs(hookspecs)
