"""Fixtures shared by the core's tests."""

import pytest

from payalert_core.store import SQLiteStore


@pytest.fixture
async def store(tmp_path):
    """An open store in a fresh data directory."""
    store = SQLiteStore(tmp_path / "data" / "payalert.sqlite3")
    await store.open()
    yield store
    await store.close()
