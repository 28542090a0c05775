"""The records this process has stored, so the late sweep does not rebuild them only to drop them."""

from __future__ import annotations

from typing import Any

from .feeds import Feed


class StoredRecords:
    """Records of one feed stored (or found stored) since start-up, by id and status, with their time.

    The late sweep re-reads weeks of history in which nearly every record is stored already; turning
    each into a Payment only for the store to drop it by its dedupe id is most of a sweep's cost. A
    record seen here with the same status is skipped instead. The store's dedupe stays the guarantee:
    after a restart this is empty, and the first sweep rebuilds every record once.
    """

    def __init__(self) -> None:
        self._times: dict[tuple[str, str], int] = {}

    def add(self, feed: Feed, records: list[Any]) -> None:
        """Remember ``records``, whose payments (or their absence) were just committed."""
        for record in records:
            key = _key(feed, record)
            if key is not None:
                self._times[key] = int(record[feed.time_field])

    def known(self, feed: Feed, record: Any) -> bool:
        """True when ``record`` was stored with this status already and can no longer change."""
        key = _key(feed, record)
        if key is None or key not in self._times:
            return False
        try:
            return feed.unfinished_time(record) is None
        except (KeyError, TypeError, ValueError, AttributeError):
            return False

    def forget_before(self, ms: int) -> None:
        """Drop records older than ``ms``: the sweep no longer reads them, so memory stays bounded."""
        self._times = {key: at for key, at in self._times.items() if at >= ms}


def _key(feed: Feed, record: Any) -> tuple[str, str] | None:
    try:
        int(record[feed.time_field])
        return feed.record_id(record), str(record.get(feed.status_field) if feed.status_field else "")
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # an unreadable record is rebuilt (as a notice) and dropped by the store
