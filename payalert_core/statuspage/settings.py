"""``status_page:`` in ``config.yaml``: whether the page is served and who may open it."""

from __future__ import annotations

import re
from datetime import timedelta
from ipaddress import ip_address

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator

from ..configtypes import Duration, TimeZoneName
from .passwords import BadPasswordHash, check_hash

_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class StatusPageSettings(BaseModel):
    """The read-only status page at ``/status/``: off unless enabled, and never without a way to log in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, description="Serve the status page at /status/.")
    password_hash: SecretStr | None = Field(
        default=None, description="Hash of the page's password, from `payalert status-page set-password`."
    )
    trusted_header: str | None = Field(
        default=None,
        description="Header naming the user a reverse proxy logged in (e.g. X-Forwarded-User).",
    )
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Addresses of the reverse proxies whose trusted_header and X-Forwarded-* are honoured.",
    )
    session_lifetime: Duration = Field(default=timedelta(hours=12), description="How long a login lasts.")
    timezone: TimeZoneName = Field(default="UTC", description="Time zone of the page's times and days.")

    @field_validator("password_hash")
    @classmethod
    def _a_hash(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                check_hash(value.get_secret_value())
            except BadPasswordHash as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("trusted_header")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        if value is not None and not _HEADER_NAME.match(value):
            raise ValueError("must be a header name such as X-Forwarded-User")
        return value

    @model_validator(mode="after")
    def _a_way_in(self) -> StatusPageSettings:
        if self.trusted_header and not self.trusted_proxies:
            raise ValueError(
                "trusted_header needs trusted_proxies: list the reverse proxy's addresses (e.g. [127.0.0.1/32])"
            )
        if self.enabled and self.password_hash is None and not self.trusted_header:
            raise ValueError(
                "enabled needs password_hash (run `payalert status-page set-password`) or trusted_header"
            )
        return self

    def is_trusted_proxy(self, address: str | None) -> bool:
        """True when ``address`` (a peer's IP) is one of ``trusted_proxies``."""
        if address is None or not self.trusted_proxies:
            return False
        try:
            peer = ip_address(address)
        except ValueError:
            return False
        return any(peer in network for network in self.trusted_proxies)
