"""Pydantic building blocks for config sections: base models, durations, secrets."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

__all__ = [
    "ComponentConfig",
    "DigestConfig",
    "Duration",
    "NotifierConfig",
    "PolledSourceConfig",
    "SecretStr",
    "SourceConfig",
    "StreamSourceConfig",
    "TimeZoneName",
    "WebhookSecret",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
#: Longer than any sensible interval or timeout (100 years), and well inside what timedelta holds.
_LONGEST_SECONDS = 100 * 365 * 86400.0


def parse_duration(value: Any) -> timedelta:
    """``90``, ``"90s"``, ``"5m"``, ``"2h"``, ``"3d"`` or ``"1w"`` as a timedelta (bare numbers are seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 30s, 5m, 2h or 3d")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError("is not a duration; write e.g. 30s, 5m, 2h or 3d")
        number, unit = match.groups()
        seconds = float(number) * _UNIT_SECONDS[unit]
    if not 0 <= seconds <= _LONGEST_SECONDS:  # also false for NaN
        raise ValueError("is not a duration payalert can use; write e.g. 30s, 5m, 2h or 3d")
    return timedelta(seconds=seconds)


#: A config field holding a duration; accepts numbers (seconds) and strings like ``"5m"``.
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _known_time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Kolkata") from None
    return value


#: A config field naming an IANA time zone (``Asia/Kolkata``), checked when the config loads.
TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]


#: The shortest shared secret a signed request may use: a shorter key can be guessed.
WEBHOOK_SECRET_MIN_LENGTH = 16


def _long_enough(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value().strip()) < WEBHOOK_SECRET_MIN_LENGTH:
        raise ValueError(
            f"must be at least {WEBHOOK_SECRET_MIN_LENGTH} characters; `payalert init` makes a strong one"
        )
    return value


#: A config field holding the shared secret that signs pushed requests (HMAC), at least 16 characters.
WebhookSecret = Annotated[SecretStr, AfterValidator(_long_enough)]


class ComponentConfig(BaseModel):
    """Base of every source and notifier section: unknown keys are errors.

    Each section's validator is built when a config first uses it (``defer_build``), so a daemon
    holds the validators of the sections it has, not those of every installed plugin.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: str


class SourceConfig(ComponentConfig):
    """Options every source has: amount thresholds and kind filters."""

    min_amount: dict[str, Decimal] = Field(
        default_factory=dict,
        description="Per currency, the smallest amount that alerts, e.g. {INR: 100}.",
    )
    include_kinds: list[str] | None = Field(
        default=None, description="Only these kinds alert (prefixes allowed: 'binance.deposit')."
    )
    exclude_kinds: list[str] = Field(default_factory=list, description="These kinds never alert.")

    @field_validator("min_amount")
    @classmethod
    def _upper_currencies(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, amount in value.items():
            if currency != currency.upper():
                raise ValueError(f"write currency codes in upper case ({currency.upper()})")
            if amount < 0:
                raise ValueError(f"{currency} must be >= 0")
        return value


class PolledSourceConfig(SourceConfig):
    """A polled source's section: how often it runs."""

    interval: Duration = Field(default=timedelta(seconds=60), description="Time between polls.")
    jitter: Duration | None = Field(
        default=None, description="Random delay added to each poll; default a tenth of interval."
    )

    @field_validator("interval")
    @classmethod
    def _positive_interval(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be > 0")
        return value

    @property
    def jitter_seconds(self) -> float:
        """Jitter in seconds, defaulting to a tenth of the interval."""
        jitter = self.jitter if self.jitter is not None else self.interval / 10
        return jitter.total_seconds()


class StreamSourceConfig(SourceConfig):
    """A stream source's section."""

    stale_after: Duration | None = Field(
        default=None, description="/health turns 503 when no success was seen for this long."
    )


_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


class DigestConfig(BaseModel):
    """``digest:`` of a notifier: when its daily digest goes out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: str = Field(description="Local time of day the digest is sent, e.g. '21:00'.")
    timezone: TimeZoneName = Field(default="UTC", description="IANA time zone of 'at' and of the day.")

    @field_validator("at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if _TIME_OF_DAY.match(value) is None:
            raise ValueError("must be a time of day such as '21:00'")
        return value

    @property
    def time_of_day(self) -> time:
        """``at`` as a time."""
        match = _TIME_OF_DAY.match(self.at)
        assert match is not None  # checked by the validator
        hour, minute, second = match.groups()
        return time(int(hour), int(minute), int(second or 0))

    def last_due(self, now: datetime) -> date:
        """The day whose digest was due most recently at ``now`` (today once ``at`` has passed)."""
        local = now.astimezone(zoneinfo.ZoneInfo(self.timezone))
        return local.date() if local.time() >= self.time_of_day else local.date() - timedelta(days=1)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The day's digest covers from the previous digest time to this one, in UTC."""
        zone = zoneinfo.ZoneInfo(self.timezone)
        end = datetime.combine(day, self.time_of_day, zone)
        return (end - timedelta(days=1)).astimezone(UTC), end.astimezone(UTC)


class NotifierConfig(ComponentConfig):
    """Base of every notifier section."""

    digest: DigestConfig | None = Field(
        default=None, description="Send a daily digest, e.g. {at: '21:00', timezone: Asia/Kolkata}."
    )
