"""Test doubles and fixtures for payalert and its plugins: real servers on loopback, a real daemon.

The ``payalert-testing`` distribution, never a runtime dependency. Its pytest plugin
(:mod:`payalert_testing.pytest_plugin`) gives every test ``payalert_daemon`` (start ``payalert
run`` on a free loopback port with a temporary data dir and a recording notifier),
``dovecot_server`` (a private Dovecot on loopback), ``postgres_server`` and ``postgres_url`` (a
private PostgreSQL cluster, a fresh database on it), ``telegram_api`` (a local server behaving like
the Telegram Bot API) and ``corpus_dir``; ``LoopbackServer`` is the base of such local stand-ins
for the services a plugin talks to.

Importing this package costs nothing: each name below loads its module when first used, so a
pytest run that uses none of them never imports aiohttp or the Dovecot manager.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .corpus import CORPUS_ENV, REQUIRE_CORPUS_ENV, corpus_path
    from .daemon import DaemonFactory, DaemonProcess, free_port, run_python
    from .dovecot import DovecotFactory, DovecotServer
    from .loopback import LoopbackServer
    from .memory import MemoryNotifierRuntime, MemorySourceRuntime, RecordingHealth
    from .postgres import PostgresServer
    from .recorder import RecordedAlert
    from .stall import LoopLag, hold_write_lock
    from .telegram_api import TelegramAPI

#: Each public name and the module (in this package) that defines it.
_MODULE_OF = {
    "CORPUS_ENV": "corpus",
    "REQUIRE_CORPUS_ENV": "corpus",
    "corpus_path": "corpus",
    "DaemonFactory": "daemon",
    "DaemonProcess": "daemon",
    "free_port": "daemon",
    "run_python": "daemon",
    "DovecotFactory": "dovecot",
    "DovecotServer": "dovecot",
    "LoopbackServer": "loopback",
    "MemoryNotifierRuntime": "memory",
    "MemorySourceRuntime": "memory",
    "RecordingHealth": "memory",
    "PostgresServer": "postgres",
    "RecordedAlert": "recorder",
    "LoopLag": "stall",
    "hold_write_lock": "stall",
    "TelegramAPI": "telegram_api",
}

__all__ = [
    "CORPUS_ENV",
    "REQUIRE_CORPUS_ENV",
    "DaemonFactory",
    "DaemonProcess",
    "DovecotFactory",
    "DovecotServer",
    "LoopLag",
    "LoopbackServer",
    "MemoryNotifierRuntime",
    "MemorySourceRuntime",
    "PostgresServer",
    "RecordedAlert",
    "RecordingHealth",
    "TelegramAPI",
    "corpus_path",
    "free_port",
    "hold_write_lock",
    "run_python",
]


def __getattr__(name: str) -> Any:
    """Load the module defining ``name`` on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
