"""The ``telegram`` notifier's config section: token, destinations, layout, limits and commands."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from .. import Duration, NotifierConfig, SecretStr, TimeZoneName
from .telegram_format import check_template

_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
_NUMERIC = re.compile(r"^-?[0-9]+$")


def parse_chat_id(value: Any) -> int | str:
    """A chat id as Telegram takes it: an integer, or a public ``@username`` (channels, supergroups)."""
    if isinstance(value, bool):
        raise ValueError("write a numeric chat id such as -1001234567890, or a channel's @username")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if _NUMERIC.match(text):
        return int(text)
    if _USERNAME.match(text):
        return text
    raise ValueError(f"{text!r} is not a chat id; write a number such as -1001234567890 or an @username")


ChatId = Annotated[int | str, BeforeValidator(parse_chat_id)]


def _destination_from_scalar(value: Any) -> Any:
    return value if isinstance(value, dict) else {"chat_id": value}


class Destination(BaseModel):
    """One chat (user, group, supergroup, channel) or one forum topic the alerts go to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chat_id: ChatId = Field(description="Numeric chat id (users > 0, groups < 0) or a channel's @username.")
    message_thread_id: int | None = Field(default=None, description="Forum topic to post in.")
    silent: bool = Field(default=False, description="Deliver every alert to this chat without sound.")

    @property
    def target(self) -> str:
        """The delivery target name: ``chat_id`` or ``chat_id/topic``."""
        if self.message_thread_id is None:
            return str(self.chat_id)
        return f"{self.chat_id}/{self.message_thread_id}"


class RateLimits(BaseModel):
    """Telegram's flood limits; the defaults are the documented ones for ordinary bots."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chat_interval: Duration = Field(
        default=timedelta(seconds=1), description="Least time between two messages to one chat."
    )
    group_messages: int = Field(default=20, ge=1, description="Messages per group_period to one group.")
    group_period: Duration = Field(default=timedelta(seconds=60))
    overall_messages: int = Field(default=30, ge=1, description="Messages per overall_period in total.")
    overall_period: Duration = Field(default=timedelta(seconds=1))


class TelegramConfig(NotifierConfig):
    """Options of the ``telegram`` notifier (see docs/telegram.md)."""

    token: SecretStr = Field(description="The bot token from @BotFather.")
    destinations: list[Annotated[Destination, BeforeValidator(_destination_from_scalar)]] = Field(
        min_length=1, description="Chats to alert; each is its own ordered delivery lane."
    )
    base_url: str | None = Field(
        default=None, description="Root of a self-hosted Bot API server, e.g. http://127.0.0.1:8081."
    )
    timezone: TimeZoneName = Field(default="UTC", description="IANA time zone for times shown in alerts.")
    silent_sources: list[str] = Field(default_factory=list, description="Sources alerted without sound.")
    silent_kinds: list[str] = Field(
        default_factory=list, description="Kinds (or kind prefixes) alerted without sound."
    )
    templates: dict[str, str] = Field(
        default_factory=dict, description="Per source name ('*' for all): an HTML template."
    )
    link_previews: bool = Field(default=False, description="Let Telegram show a preview of the link.")
    commands: bool = Field(default=True, description="Answer /status, /last and /help by long polling.")
    allowed_chats: list[ChatId] | None = Field(
        default=None, description="Chats whose commands are answered; default: the destinations."
    )
    allowed_users: list[int] = Field(
        default_factory=list, description="User ids whose commands are answered in any chat."
    )
    timeout: Duration = Field(default=timedelta(seconds=10), description="Timeout of one API request.")
    poll_timeout: Duration = Field(default=timedelta(seconds=10), description="getUpdates long-poll time.")
    rate_limits: RateLimits = Field(default_factory=RateLimits)

    @field_validator("destinations")
    @classmethod
    def _unique_destinations(cls, value: list[Destination]) -> list[Destination]:
        seen: set[str] = set()
        for destination in value:
            if destination.target in seen:
                raise ValueError(f"{destination.target} is listed twice")
            seen.add(destination.target)
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("write the server's root URL, e.g. http://127.0.0.1:8081")
        return value.rstrip("/") if value else value

    @field_validator("templates")
    @classmethod
    def _valid_templates(cls, value: dict[str, str]) -> dict[str, str]:
        for source, template in value.items():
            try:
                check_template(template)
            except ValueError as error:
                raise ValueError(f"template for {source!r}: {error}") from None
        return value

    @field_validator("timeout", "poll_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be > 0")
        return value

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not re.match(r"^[0-9]+:[A-Za-z0-9_-]+$", value.get_secret_value()):
            raise ValueError("a bot token looks like 123456789:AA...; copy it from @BotFather")
        return value

    @property
    def api_root(self) -> str:
        """Root URL of the Bot API server."""
        return self.base_url or "https://api.telegram.org"

    def zone(self) -> zoneinfo.ZoneInfo:
        """The configured time zone."""
        return zoneinfo.ZoneInfo(self.timezone)
