"""The ``apprise`` notifier's config section: Apprise URLs (secrets), message format, zone, timeout."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator

from payalert_core import Duration, NotifierConfig, SecretStr, TimeZoneName


def _usable_url(value: SecretStr) -> SecretStr:
    """Ask Apprise whether it can use the URL; the error never repeats the URL (it holds tokens)."""
    from .urls import url_problem  # imports Apprise, so only when an apprise entry is configured

    problem = url_problem(value.get_secret_value())
    if problem:
        raise ValueError(problem)
    return value


#: One Apprise URL, e.g. ``slack://T000/B000/XXXX`` or ``ntfys://ntfy.example.com/payments``.
AppriseUrl = Annotated[SecretStr, AfterValidator(_usable_url)]


class AppriseNotifierConfig(NotifierConfig):
    """Options of the ``apprise`` notifier (see the plugin's README)."""

    # A rejected URL must not reach any error text, even a plain str(ValidationError).
    model_config = ConfigDict(hide_input_in_errors=True)

    urls: list[AppriseUrl] = Field(
        min_length=1,
        description="Apprise URLs; each is a destination with its own ordered delivery lane (secrets).",
    )
    format: Literal["text", "markdown", "html"] = Field(
        default="text", description="How the alert body is written; Apprise converts it for each service."
    )
    timezone: TimeZoneName = Field(default="UTC", description="IANA time zone for times shown in alerts.")
    timeout: Duration = Field(
        default=timedelta(seconds=30), description="Longest time one send may take before it is retried."
    )

    @field_validator("urls")
    @classmethod
    def _no_repeats(cls, value: list[SecretStr]) -> list[SecretStr]:
        first_seen: dict[str, int] = {}
        for index, url in enumerate(value):
            text = url.get_secret_value().strip()
            if text in first_seen:
                raise ValueError(f"items {first_seen[text]} and {index} are the same URL; remove one")
            first_seen[text] = index
        return value

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be > 0")
        return value

    def zone(self) -> zoneinfo.ZoneInfo:
        """The configured time zone."""
        return zoneinfo.ZoneInfo(self.timezone)
