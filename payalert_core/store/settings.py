"""The ``store:`` section of ``config.yaml``: absent for the embedded SQLite store, a PostgreSQL
URL for several nodes sharing one database."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..configtypes import Duration
from ..redaction import SecretUrl

SCHEMES = ("postgresql", "postgres")


class StoreSettings(BaseModel):
    """Where the store lives when it is not the SQLite file in ``data_dir``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretUrl = Field(
        description="postgresql://user:password@host:port/database, or postgresql:///database over the local"
        " socket (libpq's URL; the password is a secret)."
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
    def _postgresql_url(cls, value: SecretUrl) -> SecretUrl:
        if not value.get_secret_value().startswith(tuple(f"{scheme}://" for scheme in SCHEMES)):
            # Never echo the value: it may hold a password.
            raise ValueError(
                "must be a postgresql:// URL, e.g. postgresql://payalert:PASSWORD@db.example/payalert"
                " or postgresql:///payalert (the local socket)"
            )
        return value

    @model_validator(mode="after")
    def _positive_durations(self) -> StoreSettings:
        for name in ("lease", "takeover_check"):
            if getattr(self, name).total_seconds() <= 0:
                raise ValueError(f"{name} must be longer than 0s")
        return self


def display_url(url: str) -> str:
    """The URL without its passwords, for messages: ``postgresql://payalert:***@db/payalert``."""
    shown = url
    for password in SecretUrl.secrets_in(url):
        shown = shown.replace(password, "***")
    return shown
