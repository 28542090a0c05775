"""The ``type: github`` source section of ``config.yaml``."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, ValidationInfo, field_validator

from payalert_core import SourceConfig, WebhookSecret

SponsorshipAction = Literal[
    "created", "cancelled", "edited", "tier_changed", "pending_cancellation", "pending_tier_change"
]
#: Every ``action`` GitHub documents for the ``sponsorship`` event, in the order a sponsorship lives.
SPONSORSHIP_ACTIONS: tuple[str, ...] = get_args(SponsorshipAction)


class GitHubSponsorsConfig(SourceConfig):
    """Options of a GitHub Sponsors webhook source."""

    # Declared before ``secret`` so the secret's validator can see it.
    allow_unsigned: bool = Field(
        default=False,
        description="Accept deliveries without a signature when no secret is set (a warning at every start).",
    )
    secret: WebhookSecret | None = Field(
        default=None,
        validate_default=True,
        description="The webhook secret typed into GitHub; X-Hub-Signature-256 is verified with it.",
    )
    actions: list[SponsorshipAction] = Field(
        default_factory=lambda: list(get_args(SponsorshipAction)),
        min_length=1,
        description="Which sponsorship actions alert; the others are answered 2xx and counted.",
    )
    mask_private_sponsors: bool = Field(
        default=False,
        description="Hide the login, profile link and raw identity of sponsors whose privacy is private.",
    )

    @field_validator("secret")
    @classmethod
    def _secret_or_explicitly_unsigned(
        cls, value: WebhookSecret | None, info: ValidationInfo
    ) -> WebhookSecret | None:
        if value is None and not info.data.get("allow_unsigned", False):
            raise ValueError(
                "is required: set secret to the webhook secret you typed into GitHub "
                "(or set allow_unsigned: true to accept unsigned requests, which anyone can forge)"
            )
        return value
