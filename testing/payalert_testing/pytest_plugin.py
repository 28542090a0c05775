"""The pytest plugin of payalert-testing (``pytest11`` entry point ``payalert``).

Loaded at the start of every pytest run wherever payalert-testing is installed, so it imports
nothing but pytest itself: each fixture imports its double when a test first asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .daemon import DaemonFactory
    from .dovecot import DovecotFactory
    from .postgres import PostgresServer
    from .telegram_api import TelegramAPI


@pytest.fixture
def corpus_dir() -> Path:
    """The shared corpus folder (skip or fail as :func:`payalert_testing.corpus_path` says)."""
    from .corpus import corpus_path

    return corpus_path()


@pytest.fixture
def payalert_daemon(tmp_path: Path) -> Iterator[DaemonFactory]:
    """A factory starting real ``payalert run`` subprocesses; all are killed at teardown."""
    from .daemon import DaemonFactory

    factory = DaemonFactory(tmp_path)
    yield factory
    factory.stop_all()


@pytest.fixture
def dovecot_server() -> Iterator[DovecotFactory]:
    """A factory of private Dovecot servers on loopback: ``dovecot_server(tls=True, idle=False)``.

    Fails the test (never skips) when Dovecot is not installed.
    """
    from .dovecot import DovecotFactory

    factory = DovecotFactory()
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One private PostgreSQL cluster for the whole test session; fails (never skips) without PostgreSQL."""
    from .postgres import PostgresServer

    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a fresh, empty database on the session's cluster."""
    return postgres_server.create_database()


@pytest.fixture
def telegram_api() -> Iterator[TelegramAPI]:
    """A started :class:`~payalert_testing.TelegramAPI` on a free loopback port, with Telegram's flood limits."""
    from .telegram_api import TelegramAPI

    api = TelegramAPI().start()
    try:
        yield api
    finally:
        api.stop()
