"""Fixtures shared by the core's tests."""

import pytest

from payalert_core.store import SQLiteStore


@pytest.fixture
async def sqlite_store(tmp_path):
    """An open SQLite store in a fresh data directory."""
    store = SQLiteStore(tmp_path / "data" / "payalert.sqlite3")
    await store.open()
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def make_store(request, tmp_path):
    """Builds unopened stores of one backend, all on the same data: one SQLite file, or one
    fresh PostgreSQL database (each store built is another node on it)."""
    if request.param == "sqlite":
        path = tmp_path / "data" / "payalert.sqlite3"
        return lambda: SQLiteStore(path)
    from payalert_core.store.postgres import PostgresStore

    url = request.getfixturevalue("postgres_url")
    return lambda: PostgresStore(url, lease=3.0, takeover_check=0.5)


@pytest.fixture
async def store(make_store):
    """An open store of each backend."""
    store = make_store()
    await store.open()
    yield store
    await store.close()
