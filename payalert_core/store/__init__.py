"""The durable store: events, deliveries (an outbox per notifier target) and state.

SQLite (``data_dir/payalert.sqlite3``) is the embedded default; PostgreSQL, set with
``store: {url: postgresql://…}``, lets several nodes share one store. :func:`open_store` picks
the backend from the config; everything else speaks to the :class:`Store` interface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import StorageUnavailable, Store, is_storage_error
from .coordination import Coordination
from .outbox import Delivery, DeliveryStatus, Lane, StoredIngest
from .sqlite import SQLiteStore

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "Coordination",
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


def store_for(config: Config, read_only: bool = False) -> Store:
    """The store ``config`` describes, not yet opened; ``read_only`` for commands that only read."""
    return SQLiteStore(config.store_path, read_only=read_only)
