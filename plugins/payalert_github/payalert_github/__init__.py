"""payalert-github: GitHub Sponsors webhooks (``type: github``) as payalert alerts."""

from __future__ import annotations

from .config import SPONSORSHIP_ACTIONS, GitHubSponsorsConfig
from .signature import SIGNATURE_HEADER
from .source import GitHubSponsorsSource
from .sponsorship import PayloadError, sponsorship_payment

__all__ = [
    "SIGNATURE_HEADER",
    "SPONSORSHIP_ACTIONS",
    "GitHubSponsorsConfig",
    "GitHubSponsorsSource",
    "PayloadError",
    "sponsorship_payment",
]
