"""The durable store: events, deliveries (an outbox per notifier target) and state.

SQLite (``data_dir/payalert.sqlite3``) is the embedded default; PostgreSQL, set with
``store: {url: postgresql://…}``, lets several nodes share one store. :func:`open_store` picks
the backend from the config; everything else speaks to the :class:`Store` interface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UserError
from .base import StorageUnavailable, Store, is_storage_error
from .outbox import Delivery, DeliveryStatus, Lane, StoredIngest
from .sqlite import SQLiteStore

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "Delivery",
    "DeliveryStatus",
    "Lane",
    "SQLiteStore",
    "StorageUnavailable",
    "Store",
    "StoredIngest",
    "is_storage_error",
    "store_for",
]


def store_for(config: Config, read_only: bool = False, keep_reserve: bool = False) -> Store:
    """The store ``config`` describes, not yet opened; ``read_only`` for commands that only read.

    ``keep_reserve`` (the daemon's store): SQLite keeps a disk reserve in ``data_dir`` and refuses
    payments while that disk is full; a PostgreSQL server looks after its own disk.
    PostgreSQL's driver is imported only when a ``store.url`` is configured.
    """
    settings = config.settings.store
    if settings is None:
        return SQLiteStore(config.store_path, read_only=read_only, keep_reserve=keep_reserve)
    try:
        from .postgres import PostgresStore
    except ImportError:
        raise UserError(
            "store.url: PostgreSQL needs psycopg; install it with pip install 'payalert-core[postgres]'"
        ) from None
    return PostgresStore(
        settings.url.get_secret_value(),
        lease=settings.lease.total_seconds(),
        takeover_check=settings.takeover_check.total_seconds(),
        read_only=read_only,
    )
