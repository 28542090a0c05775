"""The ``store:`` section of ``config.yaml``: absent for the embedded SQLite store, a PostgreSQL
URL for several nodes sharing one database."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from ..configtypes import Duration

SCHEMES = ("postgresql", "postgres")


class StoreSettings(BaseModel):
    """Where the store lives when it is not the SQLite file in ``data_dir``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr = Field(
        description="postgresql://user:password@host:port/database (libpq's URL; the password is a secret)."
    )
    lease: Duration = Field(
        default=timedelta(seconds=15),
        description="A node's hold on a delivery lane; another node takes the lane over this long after it dies.",
    )
    takeover_check: Duration = Field(
        default=timedelta(seconds=5),
        description="How often a standby node tries to take over stream sources and the Telegram command poller.",
    )

    @field_validator("url")
    @classmethod
    def _postgresql_url(cls, value: SecretStr) -> SecretStr:
        try:
            parts = urlsplit(value.get_secret_value())
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in SCHEMES or not (parts.netloc or parts.query):
            # Never echo the value: it may hold a password.
            raise ValueError(
                "must be a postgresql:// URL, e.g. postgresql://payalert:PASSWORD@db.example/payalert"
            )
        return value

    @model_validator(mode="after")
    def _positive_durations(self) -> StoreSettings:
        for name in ("lease", "takeover_check"):
            if getattr(self, name).total_seconds() <= 0:
                raise ValueError(f"{name} must be longer than 0s")
        return self

    def secret_parts(self) -> set[str]:
        """The URL and its password: neither may appear in a log line or an error."""
        url = self.url.get_secret_value()
        found = {url}
        password = urlsplit(url).password
        if password:
            found.add(password)
        return {secret for secret in found if len(secret) >= 4}


def display_url(url: str) -> str:
    """The URL without its password, for messages: ``postgresql://payalert:***@db/payalert``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
