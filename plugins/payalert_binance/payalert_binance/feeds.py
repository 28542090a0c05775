"""The three Binance history feeds: how each is paged, windowed and turned into Payments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from payalert_core import Payment

from .api import BinanceApi, BinanceFailure, FailureKind
from .config import BinanceConfig
from .mapping import (
    deposit_id,
    deposit_payment,
    deposit_unfinished_time,
    p2p_payment,
    p2p_unfinished_time,
    pay_payment,
)

DAY_MS = 86_400_000
DEPOSIT_PAGE = 1000
P2P_PAGE = 100
PAY_PAGE = 100


def _ms(duration: timedelta) -> int:
    return int(duration.total_seconds() * 1000)


class WindowTooBig(Exception):
    """More records in a time window than the feed may page through: split the window."""


class Feed:
    """One history endpoint, read in time windows of at most ``max_window_ms``."""

    #: Cursor key (and name in logs and /health).
    key: ClassVar[str]
    #: Longest time window one request may cover.
    max_window_ms: ClassVar[int]
    #: How far back the endpoint can look at all (None: no known limit).
    max_age_ms: ClassVar[int | None] = None
    #: The record field holding the time the endpoint filters on (milliseconds).
    time_field: ClassVar[str]
    #: True when a record may be unfinished (pending, open) and change into one that alerts.
    can_be_unfinished: ClassVar[bool] = False
    #: The record field holding its status, when it has one that changes (None: records never change).
    status_field: ClassVar[str | None] = None

    def __init__(self, api: BinanceApi, config: BinanceConfig, source: str) -> None:
        self.api = api
        self.config = config
        self.source = source

    async def fetch(self, start_ms: int, end_ms: int, splittable: bool) -> list[dict[str, Any]]:
        """Every record in ``[start_ms, end_ms]``; raise WindowTooBig when ``splittable`` and too many."""
        raise NotImplementedError

    def payment(self, record: dict[str, Any]) -> Payment | None:
        """The alert for ``record``, or None when it does not alert."""
        raise NotImplementedError

    def unfinished_time(self, record: dict[str, Any]) -> int | None:
        """The time of a record that may still change into one that alerts, else None."""
        return None

    def record_id(self, record: dict[str, Any]) -> str:
        """The record's stable id (to follow an unfinished one)."""
        raise NotImplementedError

    def late_sweep(self) -> tuple[int, int] | None:
        """How far back and how often (ms) to re-read for records listed late; None: no sweep."""
        return None

    def _too_many(self, splittable: bool) -> bool:
        if splittable:
            raise WindowTooBig
        return True


class DepositFeed(Feed):
    """``GET /sapi/v1/capital/deposit/hisrec``: offset paging, windows under 90 days."""

    key = "deposits"
    max_window_ms = 90 * DAY_MS - 1
    time_field = "insertTime"
    can_be_unfinished = True
    status_field = "status"

    async def fetch(self, start_ms: int, end_ms: int, splittable: bool) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        offset = 0
        for _ in range(self.config.max_pages):
            page = await self.api.call(
                "deposit history",
                "get_deposit_history",
                startTime=start_ms,
                endTime=end_ms,
                offset=offset,
                limit=DEPOSIT_PAGE,
            )
            if not isinstance(page, list):
                raise BinanceFailure(FailureKind.REJECTED, "deposit history: Binance answered with no list")
            records.extend(page)
            if len(page) < DEPOSIT_PAGE:
                return records
            offset += len(page)
        self._too_many(splittable)
        return records

    def payment(self, record: dict[str, Any]) -> Payment | None:
        return deposit_payment(self.source, record, self.config.deposits.pending)

    def unfinished_time(self, record: dict[str, Any]) -> int | None:
        return deposit_unfinished_time(record)

    def record_id(self, record: dict[str, Any]) -> str:
        return deposit_id(record)

    def late_sweep(self) -> tuple[int, int] | None:
        # A deposit can be listed long after its insertTime (the time the windows filter on).
        window = self.config.deposits.late_window
        if window <= timedelta(0):
            return None
        return _ms(window), _ms(self.config.deposits.late_sweep_interval)


def _data(answer: Any, what: str) -> tuple[list[dict[str, Any]], int | None]:
    """The ``data`` list and ``total`` of a ``{code, message, data, success}`` answer."""
    if not isinstance(answer, dict) or answer.get("success") is False:
        message = answer.get("message") if isinstance(answer, dict) else None
        raise BinanceFailure(FailureKind.REJECTED, f"{what}: Binance answered {message or 'without data'}")
    data = answer.get("data") or []
    total = answer.get("total")
    return list(data), total if isinstance(total, int) else None


class P2PFeed(Feed):
    """``GET /sapi/v1/c2c/orderMatch/listUserOrderHistory``: pages of 100, 30-day windows, per trade type."""

    key = "p2p"
    max_window_ms = 30 * DAY_MS
    time_field = "createTime"
    can_be_unfinished = True

    async def fetch(self, start_ms: int, end_ms: int, splittable: bool) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for trade_type in self.config.p2p.trade_types:
            for page in range(1, self.config.max_pages + 1):
                answer = await self.api.call(
                    "P2P order history",
                    "get_c2c_trade_history",
                    tradeType=trade_type,
                    startTimestamp=start_ms,
                    endTimestamp=end_ms,
                    page=page,
                    rows=P2P_PAGE,
                )
                data, total = _data(answer, "P2P order history")
                for record in data:
                    record.setdefault("tradeType", trade_type)
                records.extend(data)
                if len(data) < P2P_PAGE or (total is not None and page * P2P_PAGE >= total):
                    break
            else:
                self._too_many(splittable)
        return records

    def payment(self, record: dict[str, Any]) -> Payment | None:
        return p2p_payment(self.source, record, self.config.p2p.statuses)

    def unfinished_time(self, record: dict[str, Any]) -> int | None:
        return p2p_unfinished_time(record)

    def record_id(self, record: dict[str, Any]) -> str:
        return str(record["orderNumber"])


class PayFeed(Feed):
    """``GET /sapi/v1/pay/transactions``: no paging, so a full answer splits the window."""

    key = "pay"
    max_window_ms = 90 * DAY_MS
    time_field = "transactionTime"
    max_age_ms = 540 * DAY_MS  # "orders within the last 18 months"

    async def fetch(self, start_ms: int, end_ms: int, splittable: bool) -> list[dict[str, Any]]:
        answer = await self.api.call(
            "Binance Pay history", "get_pay_trade_history", startTime=start_ms, endTime=end_ms, limit=PAY_PAGE
        )
        data, _ = _data(answer, "Binance Pay history")
        if len(data) >= PAY_PAGE:
            self._too_many(splittable)
        return data

    def payment(self, record: dict[str, Any]) -> Payment | None:
        return pay_payment(self.source, record, self.config.pay.incoming, self.config.pay.outgoing)

    def record_id(self, record: dict[str, Any]) -> str:
        return str(record["transactionId"])


def enabled_feeds(api: BinanceApi, config: BinanceConfig, source: str) -> list[Feed]:
    """The feeds switched on in ``config``, in a fixed order."""
    feeds: list[Feed] = []
    if config.deposits.enabled:
        feeds.append(DepositFeed(api, config, source))
    if config.p2p.enabled:
        feeds.append(P2PFeed(api, config, source))
    if config.pay.enabled:
        feeds.append(PayFeed(api, config, source))
    return feeds
