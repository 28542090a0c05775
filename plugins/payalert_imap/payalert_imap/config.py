"""The ``type: imap`` source section of ``config.yaml``."""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from typing import Literal

from payalert_banktext import RepeatWindow, RuleConfig, account_digits
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from payalert_core import DEFAULT_MATCH_WINDOW, Duration, SecretStr, StreamSourceConfig

from .verdict import ReadSettings

#: Authserv-ids of the big providers, found from the IMAP host when ``authserv_id`` is not set.
KNOWN_AUTHSERV_IDS: dict[str, tuple[str, ...]] = {
    "imap.gmail.com": ("mx.google.com",),
    "imap.googlemail.com": ("mx.google.com",),
}
#: Hosts whose provider (Microsoft) writes Authentication-Results without an authserv-id.
NO_AUTHSERV_ID_HOSTS = frozenset({"outlook.office365.com", "imap-mail.outlook.com"})
RFC2177_LIMIT = timedelta(minutes=29)


class OAuth2Config(BaseModel):
    """XOAUTH2 login: where the access token comes from (an env var, or a command that prints it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token_env: str | None = Field(default=None, description="Environment variable holding the access token.")
    token_command: list[str] | None = Field(
        default=None, description="Command printing a fresh access token on stdout (run before each login)."
    )

    @field_validator("token_command", mode="before")
    @classmethod
    def _split_command(cls, value: object) -> object:
        if isinstance(value, str):
            return shlex.split(value)
        return value

    @model_validator(mode="after")
    def _one_source(self) -> OAuth2Config:
        if (self.token_env is None) == (self.token_command is None):
            raise ValueError("set exactly one of token_env or token_command")
        if self.token_command is not None and not self.token_command:
            raise ValueError("token_command is empty")
        return self


class ImapSourceConfig(StreamSourceConfig):
    """One mailbox: where it is, how to log in, which folders to watch and how to read its mail."""

    host: str = Field(description="IMAP server, e.g. imap.gmail.com.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Default 993 (tls) or 143.")
    security: Literal["tls", "starttls", "plain"] = Field(
        default="tls", description="tls (port 993), starttls, or plain (only on a trusted network)."
    )
    ca_file: str | None = Field(default=None, description="PEM file of CAs to trust instead of the system's.")
    username: str = Field(description="Login name, usually the e-mail address.")
    password: SecretStr | None = Field(default=None, description="Password or app password.")
    oauth2: OAuth2Config | None = Field(default=None, description="XOAUTH2 instead of a password.")
    folders: list[str] = Field(default_factory=lambda: ["INBOX"], description="Folders to watch.")
    idle: bool = Field(default=True, description="Use IMAP IDLE when the server supports it.")
    idle_renew: Duration = Field(
        default=timedelta(minutes=10), description="Re-issue IDLE this often (< 29m)."
    )
    poll_interval: Duration = Field(
        default=timedelta(seconds=60), description="Polling interval without IDLE."
    )
    backfill: Duration | None = Field(
        default=None, description="On the very first run, read mail this old (3d)."
    )
    mark_seen: bool = Field(default=False, description=r"Set \Seen on mail that was read (default: never).")
    senders: list[str] = Field(default_factory=list, description="Only mail from these addresses or domains.")
    subject_patterns: list[str] = Field(default_factory=list, description="Only mail whose subject matches.")
    require_authentication: bool = Field(default=True, description="Trust bank mail only after DKIM/DMARC.")
    authserv_id: list[str] | None = Field(
        default=None,
        description="Authserv-id(s) of your provider's Authentication-Results, e.g. mx.google.com.",
    )
    allow_empty_authserv_id: bool = Field(
        default=False,
        description="Also trust a topmost Authentication-Results without an authserv-id (Outlook; see its risk).",
    )
    bank_domains: list[str] = Field(default_factory=list, description="More domains whose mail is a bank's.")
    accounts: list[str] = Field(
        default_factory=list,
        description="Last 4 digits of your accounts and cards; alerts for any other are not payments.",
    )
    owner_addresses: list[str] = Field(
        default_factory=list,
        description="This mailbox's addresses; a bank alert signed for another To is not a payment.",
    )
    suspicious_notice: bool = Field(
        default=True, description="Warn about bank-like mail that fails the check."
    )
    unparsed_notice: bool = Field(default=True, description="Notice for trusted bank mail no parser read.")
    rules: list[RuleConfig] = Field(default_factory=list, description="Your own regex rules, tried first.")
    repeat_window: RepeatWindow = Field(
        default=DEFAULT_MATCH_WINDOW,
        description="Two alerts of one issuer without a common reference, this close, are one payment.",
    )
    timeout: Duration = Field(
        default=timedelta(seconds=30), description="Network timeout of one IMAP command."
    )
    reconnect_max: Duration = Field(
        default=timedelta(minutes=5), description="Longest wait between reconnects."
    )
    max_message_size: int = Field(default=2_000_000, gt=0, description="Larger mail is skipped (bytes).")

    @field_validator("authserv_id", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("authserv_id")
    @classmethod
    def _named(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not a.strip() for a in value):
            raise ValueError(
                "an empty authserv-id is not a name: for Outlook set allow_empty_authserv_id: true instead"
            )
        return value

    @field_validator("accounts", mode="before")
    @classmethod
    def _account_digits(cls, value: object) -> object:
        return account_digits(value)

    @field_validator("owner_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+", address.strip()):
                raise ValueError(f"{address!r} is not an e-mail address")
        return [address.strip().lower() for address in value]

    @field_validator("idle_renew")
    @classmethod
    def _renew_in_time(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= value < RFC2177_LIMIT:
            raise ValueError("must be between 1s and 29m (servers drop an IDLE after 30 minutes)")
        return value

    @field_validator("poll_interval", "timeout", "reconnect_max")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be > 0")
        return value

    @field_validator("folders")
    @classmethod
    def _some_folders(cls, value: list[str]) -> list[str]:
        if not value or any(not folder.strip() for folder in value):
            raise ValueError("list at least one folder, e.g. [INBOX]")
        if len(set(value)) != len(value):
            raise ValueError("a folder is listed twice")
        return value

    @field_validator("subject_patterns")
    @classmethod
    def _valid_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{pattern!r} is not a valid regex: {error}") from None
        return value

    @model_validator(mode="after")
    def _login_and_trust(self) -> ImapSourceConfig:
        if (self.password is None) == (self.oauth2 is None):
            raise ValueError("set either password (an app password for Gmail) or oauth2, not both or neither")
        if not self.require_authentication or self.authserv_ids or self.allow_empty_authserv_id:
            return self
        if self.host.lower() in NO_AUTHSERV_ID_HOSTS:
            raise ValueError(
                "allow_empty_authserv_id: Outlook writes Authentication-Results without an authserv-id; "
                "set allow_empty_authserv_id: true (read its risk in the payalert-imap README), "
                "or require_authentication: false"
            )
        raise ValueError(
            "authserv_id: set the authserv-id your provider writes in Authentication-Results "
            "(e.g. mx.google.com), or require_authentication: false"
        )

    @property
    def effective_port(self) -> int:
        """The port to connect to."""
        return self.port or (993 if self.security == "tls" else 143)

    @property
    def authserv_ids(self) -> tuple[str, ...] | None:
        """Configured authserv-ids, else the provider's known ones, else None."""
        if self.authserv_id is not None:
            return tuple(a.strip().lower() for a in self.authserv_id)
        return KNOWN_AUTHSERV_IDS.get(self.host.lower())

    def read_settings(self) -> ReadSettings:
        """Filters and trust settings for the verdict pipeline."""
        return ReadSettings(
            require_authentication=self.require_authentication,
            authserv_ids=self.authserv_ids or (),
            allow_empty_authserv_id=self.allow_empty_authserv_id,
            accounts=tuple(self.accounts),
            owner_addresses=tuple(self.owner_addresses),
            bank_domains=tuple(d.lower() for d in self.bank_domains),
            senders=tuple(s.lower() for s in self.senders),
            subject_patterns=tuple(self.subject_patterns),
            suspicious_notice=self.suspicious_notice,
            unparsed_notice=self.unparsed_notice,
            repeat_window=self.repeat_window,
        )
