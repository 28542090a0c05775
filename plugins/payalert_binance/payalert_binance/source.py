"""The ``binance`` polled source: key check at start-up, then each feed read window by window."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from payalert_core import Payment, PolledSource, RetryLater, SourceConfig, SourceRuntime, StartupError

from .api import BinanceApi, BinanceFailure, FailureKind
from .config import BinanceConfig
from .cursor import FeedCursor, clusters, halves, read_start, split_windows
from .feeds import Feed, WindowTooBig, enabled_feeds
from .known import StoredRecords
from .mapping import key_warning_notice, ms_to_datetime, unreadable_notice

#: Key restrictions that let a key move money or trade, with how we name them.
KEY_POWERS = (
    ("enableWithdrawals", "withdraw"),
    ("enableInternalTransfer", "transfer between accounts"),
    ("permitsUniversalTransfer", "make universal transfers"),
    ("enableSpotAndMarginTrading", "trade spot and margin"),
    ("enableMargin", "use margin"),
    ("enableFutures", "trade futures"),
    ("enableVanillaOptions", "trade options"),
    ("enablePortfolioMarginTrading", "trade portfolio margin"),
    ("enableFixApiTrade", "trade over FIX"),
)
#: Failures after which no other feed is tried in the same poll (same key, same IP).
STOP_ALL = {
    FailureKind.BANNED,
    FailureKind.RATE_LIMITED,
    FailureKind.FIREWALL,
    FailureKind.AUTH,
    FailureKind.REGION,
}
#: Failures that make /health unhealthy (a ``problem``) until a poll succeeds again.
BLOCKING = {FailureKind.BANNED, FailureKind.FIREWALL, FailureKind.AUTH, FailureKind.REGION}
#: Followed records at most this far apart are re-read in one window: an hour of history between
#: them is a few records for most accounts, well inside one page (1,000 deposits, 100 P2P orders).
FOLLOW_GAP_MS = 3_600_000
MAX_SPLIT_DEPTH = 48  # 2**48 ms is about 9,000 years: every window splits down to 1 ms before this


class BinanceSource(PolledSource):
    """Polls Binance deposits, P2P orders and Binance Pay; one alert per payment."""

    type_name = "binance"
    Config: ClassVar[type[SourceConfig]] = BinanceConfig
    config: BinanceConfig

    def __init__(self, name: str, config: SourceConfig, runtime: SourceRuntime) -> None:
        super().__init__(name, config, runtime)
        self.api = BinanceApi(self.config, self.log, self.runtime.count)
        self.feeds = enabled_feeds(self.api, self.config, name)
        self._key_checked = False
        self._blocked = False
        #: What each late-sweeping feed stored since start-up (see StoredRecords).
        self._stored = {feed.key: StoredRecords() for feed in self.feeds if feed.late_sweep() is not None}
        #: A refusal met at start-up that asks to stop (451, 418, 429, 403, key), and until when.
        self._refused_at_start: BinanceFailure | None = None
        self._refused_until = 0.0

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Synchronise the clock and check the key's permissions (refuse a trading key if asked)."""
        self.runtime.health.set(feeds=[feed.key for feed in self.feeds])
        try:
            await self.api.sync_time()
            await self._check_key()
        except BinanceFailure as failure:
            self._report(failure)
            if failure.kind in STOP_ALL and failure.retry_after:
                self._refused_at_start = failure
                self._refused_until = time.monotonic() + failure.retry_after
            self.log.warning("the key check will be retried at the next poll")

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.api.close()

    # -- polling ---------------------------------------------------------------------------
    async def poll(self) -> None:
        """Read every enabled feed from its cursor to now; ingest each window with its cursor."""
        if self._refused_at_start is not None:
            # The first poll follows start-up at once: it waits out a refusal met there, as later
            # polls wait out one met while polling, instead of asking Binance again straight away.
            failure, self._refused_at_start = self._refused_at_start, None
            wait = self._refused_until - time.monotonic()
            if wait > 0:
                raise RetryLater(failure.message, retry_after=wait)
        if not self._key_checked:
            try:
                await self._check_key()
            except BinanceFailure as failure:
                if failure.kind in STOP_ALL or self.config.require_read_only:
                    raise self._retry(failure) from None
                self.log.warning(
                    "API key check failed (%s); reading history anyway, checking again next poll",
                    failure.message,
                )
            except StartupError as error:
                # require_read_only, checked late because Binance was unreachable at start-up:
                # read nothing, and check again after the backoff (the key may have been fixed).
                self._blocked = True
                self.runtime.health.failed(str(error))
                self.runtime.health.set_connected(False)
                self.runtime.health.set(problem=str(error))
                self.log.error("%s", error)
                raise RetryLater(
                    str(error), retry_after=self.config.auth_error_backoff.total_seconds()
                ) from None

        failures: list[BinanceFailure] = []
        for feed in self.feeds:
            try:
                await self._poll_feed(feed)
            except BinanceFailure as failure:
                if failure.kind in STOP_ALL:
                    raise self._retry(failure) from None
                self._report(failure, log=False)  # the core logs the RetryLater below
                failures.append(failure)
        if failures:
            waits = [failure.retry_after for failure in failures if failure.retry_after is not None]
            reason = " | ".join(failure.message for failure in failures)
            raise RetryLater(reason, retry_after=max(waits) if waits else None) from None
        self.runtime.health.succeeded()
        self.runtime.health.set(retry_at=None)
        if self._blocked:
            self._blocked = False
            self.runtime.health.set_connected(True)
            self.runtime.health.set(problem=None)
            self.log.info("Binance answers again")

    async def _poll_feed(self, feed: Feed) -> None:
        now = self.api.now_ms()
        max_age = int(self.config.unfinished_max_age.total_seconds() * 1000)
        cursor = FeedCursor.from_state(await self.load_state(feed.key), rewind_ms=max_age)
        oldest = now - max_age
        if cursor is None:
            floor = now - int(self.config.backfill.total_seconds() * 1000)
            # Read back to unfinished_max_age too, only to follow what is still unfinished there: a
            # deposit pending when payalert first starts is credited while it runs.
            start = min(floor, max(oldest, 0)) if feed.can_be_unfinished else floor
            self.log.info("%s: first run, starting at %s", feed.key, ms_to_datetime(floor).isoformat())
            swept: int | None = now  # nothing can have been listed late since a start just now
        else:
            floor = cursor.floor
            start = read_start(cursor, int(self.config.overlap.total_seconds() * 1000))
            swept = cursor.swept
        if feed.max_age_ms is not None:
            start = max(start, now - feed.max_age_ms)
        tracked: dict[str, int] = {}
        latest = None
        if cursor is not None:
            tracked = await self._recheck(feed, cursor, start, oldest)
            latest = replace(cursor, tracked=dict(tracked))
        for low, high in split_windows(start, now, feed.max_window_ms):
            records = await self._fetch(feed, low, high, 0)
            payments: list[Payment] = []
            read: list[Any] = []
            for record in records:
                if low < floor and _before(feed, record, floor):
                    _follow_if_unfinished(feed, record, tracked)  # history: followed, never alerted
                    continue
                read.append(record)
                payment = self._take(feed, record, tracked, oldest)
                if payment is not None:
                    payments.append(payment)
            # Unfinished records are followed by id (saved with the cursor): the cursor moves on.
            latest = FeedCursor(high + 1, floor, dict(tracked), swept)
            result = await self.ingest(payments, cursors={feed.key: latest.to_state()})
            if feed.key in self._stored:
                self._stored[feed.key].add(feed, read)
            if result.stored:
                self.log.info("%s: %d new, %d already seen", feed.key, result.stored, result.duplicates)
            self.runtime.health.set(**{f"{feed.key}_cursor": ms_to_datetime(high + 1).isoformat()})
        sweep = feed.late_sweep()
        if sweep is not None and latest is not None and (swept is None or now - swept >= sweep[1]):
            window_ms, _ = sweep
            tracked = await self._sweep(feed, latest, max(floor, now - window_ms), start - 1, now, oldest)
        if feed.can_be_unfinished:
            self.runtime.health.set(**{f"{feed.key}_followed": len(tracked)})

    async def _sweep(
        self, feed: Feed, cursor: FeedCursor, low: int, high: int, now: int, oldest: int
    ) -> dict[str, int]:
        """Re-read ``[low, high]``, below what the poll read, for records Binance listed late.

        What is stored already is dropped by its dedupe id; what is new alerts, and what is still
        unfinished is followed by id. ``swept`` is saved with the last window: a sweep cut short by
        a crash runs again whole at the next poll. Returns the records followed afterwards.
        """
        windows = split_windows(low, high, feed.max_window_ms)
        stored = self._stored[feed.key]
        stored.forget_before(low)
        tracked = dict(cursor.tracked)
        found = 0
        for index, (first, last) in enumerate(windows):
            payments: list[Payment] = []
            read = [r for r in await self._fetch(feed, first, last, 0) if not stored.known(feed, r)]
            for record in read:
                payment = self._take(feed, record, tracked, oldest)
                if payment is not None:
                    payments.append(payment)
            finished = now if index == len(windows) - 1 else cursor.swept
            saved = replace(cursor, tracked=dict(tracked), swept=finished)
            found += (await self.ingest(payments, cursors={feed.key: saved.to_state()})).stored
            stored.add(feed, read)
        if not windows:
            await self.ingest([], cursors={feed.key: replace(cursor, swept=now).to_state()})
        for _ in range(found):
            self.runtime.count("listed_late")
        if found:
            self.log.info("%s: the late sweep found %d listed late", feed.key, found)
        self.runtime.health.set(**{f"{feed.key}_late_sweep": ms_to_datetime(now).isoformat()})
        return tracked

    async def _recheck(self, feed: Feed, cursor: FeedCursor, start: int, oldest: int) -> dict[str, int]:
        """Re-read the followed records dated before ``start`` (the poll's window reads the others).

        Records whose times lie within ``FOLLOW_GAP_MS`` of each other are read in one window, so
        the requests grow with the clusters of times, not with the records followed. What finished
        alerts and is no longer followed, in one ingest with the cursor; so does what is past
        ``oldest`` (``unfinished_max_age``).
        """
        tracked = dict(cursor.tracked)
        due = {ident: at for ident, at in tracked.items() if at < start}
        payments: list[Payment] = []
        found: list[Any] = []
        for low, high in clusters(due.values(), FOLLOW_GAP_MS, feed.max_window_ms):
            for record in await self._fetch(feed, low, high, 0):
                ident = _ident(feed, record)
                if ident is None or ident not in due:
                    continue  # not followed: the window that first read it alerted it
                del due[ident]
                found.append(record)
                payment = self._take(feed, record, tracked, oldest)
                if payment is not None:
                    payments.append(payment)
        for ident, at in due.items():  # no longer listed where it was
            if at < oldest:
                self._stop_following(feed, ident, tracked)
        if feed.key in self._stored:
            self._stored[feed.key].add(feed, found)
        if tracked != cursor.tracked or payments:
            await self.ingest(payments, cursors={feed.key: replace(cursor, tracked=tracked).to_state()})
        return tracked

    def _take(self, feed: Feed, record: Any, tracked: dict[str, int], oldest: int) -> Payment | None:
        """The alert for ``record`` (or None); follows it by id while it is unfinished and recent."""
        payment, unfinished = self._read(feed, record)
        ident = _ident(feed, record)
        if ident is None:
            return payment
        if unfinished is not None and unfinished >= oldest:
            tracked[ident] = unfinished
        elif unfinished is not None:
            self._stop_following(feed, ident, tracked)
        else:
            tracked.pop(ident, None)  # finished (or unreadable, alerted as such): nothing left to follow
        return payment

    def _stop_following(self, feed: Feed, ident: str, tracked: dict[str, int]) -> None:
        if tracked.pop(ident, None) is not None:
            self.log.warning(
                "%s: %s is still unfinished after unfinished_max_age; no longer followed", feed.key, ident
            )

    async def _fetch(self, feed: Feed, low: int, high: int, depth: int) -> list[dict[str, Any]]:
        splittable = high > low and depth < MAX_SPLIT_DEPTH
        try:
            return await feed.fetch(low, high, splittable)
        except WindowTooBig:
            first, second = halves(low, high)
            return await self._fetch(feed, *first, depth + 1) + await self._fetch(feed, *second, depth + 1)

    def _read(self, feed: Feed, record: Any) -> tuple[Payment | None, int | None]:
        try:
            return feed.payment(record), feed.unfinished_time(record)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self.runtime.count("unreadable_record")
            self.log.error("%s: a record could not be read (%s); alerting it as unreadable", feed.key, error)
            return unreadable_notice(self.name, feed.key, record, error, datetime.now(UTC)), None

    # -- key permissions -------------------------------------------------------------------
    async def _check_key(self) -> None:
        restrictions = await self.api.call("API key restrictions", "get_account_api_permissions")
        powers = [
            label for field, label in KEY_POWERS if isinstance(restrictions, dict) and restrictions.get(field)
        ]
        if not powers:
            self.runtime.health.set(api_key="read-only", api_key_warning=None)
            self.log.info("the Binance API key is read-only")
            self._key_checked = True
            return
        message = (
            f"the Binance API key can {', '.join(powers)}; payalert only reads: "
            "create a key with only 'Enable Reading' ticked"
        )
        if self.config.require_read_only:
            raise StartupError(f"sources.{self.name}: {message} (require_read_only is true)")
        self.log.warning("SECURITY WARNING: %s", message)
        self.runtime.count("unsafe_api_key")
        self.runtime.health.set(api_key="can " + ", ".join(powers), api_key_warning=message)
        notice = key_warning_notice(
            self.name, self.config.api_key.get_secret_value(), powers, datetime.now(UTC)
        )
        await self.ingest([notice])
        self._key_checked = True

    # -- failures --------------------------------------------------------------------------
    def _report(self, failure: BinanceFailure, log: bool = True) -> None:
        """Show a failure (already redacted) in /health and /metrics; log it when asked or blocking."""
        self.runtime.count(failure.kind.value)
        self.runtime.health.failed(failure.message)
        if failure.kind in BLOCKING:
            self._blocked = True
            self.runtime.health.set_connected(False)
            self.runtime.health.set(problem=failure.message)
            self.log.error("%s", failure.message)
        elif log:
            self.log.warning("%s", failure.message)
        if failure.retry_after:
            retry_at = datetime.now(UTC) + timedelta(seconds=failure.retry_after)
            self.runtime.health.set(retry_at=retry_at.isoformat(timespec="seconds"))

    def _retry(self, failure: BinanceFailure) -> RetryLater:
        self._report(failure, log=False)
        return RetryLater(failure.message, retry_after=failure.retry_after)


def _before(feed: Feed, record: Any, floor: int) -> bool:
    """True for a record dated before the feed's first-run starting point."""
    try:
        return int(record[feed.time_field]) < floor
    except (KeyError, TypeError, ValueError):
        return False  # read as usual: an unreadable record becomes a notice


def _follow_if_unfinished(feed: Feed, record: Any, tracked: dict[str, int]) -> None:
    try:
        at = feed.unfinished_time(record)
        if at is not None:
            tracked[feed.record_id(record)] = at
    except (KeyError, TypeError, ValueError, AttributeError):
        pass  # history from before the first run: not alerted, so an unreadable one is not followed


def _ident(feed: Feed, record: Any) -> str | None:
    """The record's id, or None when it has none that can be read."""
    try:
        return feed.record_id(record)
    except (KeyError, TypeError, AttributeError):
        return None
