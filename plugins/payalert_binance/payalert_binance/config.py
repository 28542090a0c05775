"""The ``type: binance`` config section and its per-feed sub-sections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from payalert_core import Duration, PolledSourceConfig, SecretStr

P2P_STATUSES = (
    "PENDING",
    "TRADING",
    "BUYER_PAYED",
    "DISTRIBUTING",
    "COMPLETED",
    "IN_APPEAL",
    "CANCELLED",
    "CANCELLED_BY_SYSTEM",
)

#: Binance answers deposit history in windows shorter than 90 days (its default view is the last
#: 90 days): 89 days is the widest whole number of days one request (per 1,000 deposits) reads.
LATE_WINDOW = timedelta(days=89)


class _FeedConfig(BaseModel):
    """Common base: unknown keys are errors; ``false``/``true`` is shorthand for ``enabled``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Poll this feed.")

    @model_validator(mode="before")
    @classmethod
    def _bool_shorthand(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return {"enabled": value}
        return value


class DepositsConfig(_FeedConfig):
    """``deposits:`` crypto deposits (``/sapi/v1/capital/deposit/hisrec``)."""

    pending: bool = Field(
        default=False,
        description="Also alert when a deposit is first seen pending (a second alert follows when credited).",
    )
    late_window: Duration = Field(
        default=LATE_WINDOW,
        description="How far back the late sweep re-reads deposit history, for deposits Binance lists late "
        "(0 switches it off).",
    )
    late_sweep_interval: Duration = Field(
        default=timedelta(hours=1), description="Time between two late sweeps."
    )

    @field_validator("late_sweep_interval")
    @classmethod
    def _positive_sweep_interval(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be > 0; set late_window: 0 to switch the late sweep off")
        return value


class P2PConfig(_FeedConfig):
    """``p2p:`` P2P (C2C) orders (``/sapi/v1/c2c/orderMatch/listUserOrderHistory``)."""

    statuses: list[str] = Field(
        default_factory=lambda: ["COMPLETED"], description="Order statuses that alert."
    )
    trade_types: list[Literal["BUY", "SELL"]] = Field(
        default_factory=lambda: ["BUY", "SELL"], description="BUY (you pay fiat), SELL (you receive fiat)."
    )

    @field_validator("statuses")
    @classmethod
    def _known_statuses(cls, value: list[str]) -> list[str]:
        upper = [status.upper() for status in value]
        unknown = [status for status in upper if status not in P2P_STATUSES]
        if unknown:
            raise ValueError(
                f"unknown order status {', '.join(unknown)}; use some of {', '.join(P2P_STATUSES)}"
            )
        if not upper:
            raise ValueError("list at least one status, or set enabled: false")
        return upper

    @field_validator("trade_types")
    @classmethod
    def _some_trade_type(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list BUY, SELL or both, or set enabled: false")
        return list(dict.fromkeys(value))


class PayConfig(_FeedConfig):
    """``pay:`` Binance Pay transactions (``/sapi/v1/pay/transactions``)."""

    incoming: bool = Field(default=True, description="Alert on money received.")
    outgoing: bool = Field(default=False, description="Alert on money sent too.")


class BinanceConfig(PolledSourceConfig):
    """Options of a ``type: binance`` source."""

    api_key: SecretStr = Field(description="API key of a read-only Binance API key.")
    api_secret: SecretStr = Field(description="Its secret key (HMAC).")
    deposits: DepositsConfig = Field(default_factory=DepositsConfig)
    p2p: P2PConfig = Field(default_factory=P2PConfig)
    pay: PayConfig = Field(default_factory=PayConfig)
    backfill: Duration = Field(
        default=timedelta(0),
        description="On the very first run, also alert on this much of the past (e.g. 2d).",
    )
    overlap: Duration = Field(
        default=timedelta(minutes=10),
        description="Each poll re-reads this much before its cursor (late records).",
    )
    unfinished_max_age: Duration = Field(
        default=timedelta(days=7),
        description="How long a pending deposit or an open P2P order is followed by its id.",
    )
    require_read_only: bool = Field(
        default=False, description="Refuse to start when the key can trade, withdraw or transfer."
    )
    base_url: str | None = Field(
        default=None,
        description="Root URL replacing https://api.binance.com (for tests and proxies); /api and /sapi are added.",
    )
    tld: str = Field(
        default="com", description="Binance top-level domain (com, us...) when base_url is unset."
    )
    request_timeout: Duration = Field(default=timedelta(seconds=10), description="Timeout of each request.")
    recv_window: Duration = Field(
        default=timedelta(seconds=10), description="How long a signed request stays valid (max 60s)."
    )
    rate_limit_backoff: Duration = Field(
        default=timedelta(minutes=1), description="Wait after HTTP 429 when Binance sends no Retry-After."
    )
    ban_backoff: Duration = Field(
        default=timedelta(hours=1),
        description="Wait after HTTP 418 (IP ban) when Binance sends no Retry-After.",
    )
    auth_error_backoff: Duration = Field(
        default=timedelta(minutes=30), description="Wait after a rejected key (-2014, -2015, -1022)."
    )
    region_backoff: Duration = Field(
        default=timedelta(hours=6), description="Wait after HTTP 451 (region blocked)."
    )
    max_pages: int = Field(
        default=200, ge=1, description="Safety bound on pages read per feed and time window."
    )

    @field_validator("recv_window")
    @classmethod
    def _recv_window_range(cls, value: timedelta) -> timedelta:
        if not timedelta(milliseconds=1) <= value <= timedelta(seconds=60):
            raise ValueError("must be between 1ms and 60s")
        return value

    @field_validator("overlap", "backfill", "unfinished_max_age")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must be >= 0")
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, e.g. http://127.0.0.1:8080")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _some_feed(self) -> BinanceConfig:
        if not (self.deposits.enabled or self.p2p.enabled or self.pay.enabled):
            raise ValueError("every feed is disabled; enable deposits, p2p or pay")
        if self.pay.enabled and not (self.pay.incoming or self.pay.outgoing):
            raise ValueError("pay: incoming and outgoing are both false; set pay: false instead")
        return self
