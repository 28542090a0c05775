"""The github source's config section."""

from __future__ import annotations

import pytest
from payalert_github.config import SPONSORSHIP_ACTIONS, GitHubSponsorsConfig
from pydantic import ValidationError

SECRET = "s3cret-value-0123456789"


def problems(section: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        GitHubSponsorsConfig.model_validate(section)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()]


def test_defaults_alert_on_every_action() -> None:
    config = GitHubSponsorsConfig.model_validate({"type": "github", "secret": SECRET})
    assert config.actions == list(SPONSORSHIP_ACTIONS)
    assert len(SPONSORSHIP_ACTIONS) == 6
    assert config.mask_private_sponsors is False
    assert SECRET not in repr(config)


def test_secret_is_required_and_named() -> None:
    [(where, message)] = problems({"type": "github"})
    assert where == "secret"
    assert "allow_unsigned: true" in message


@pytest.mark.parametrize("secret", ["  ", "x", "short-secret-15"])
def test_an_empty_or_short_secret_is_refused(secret: str) -> None:
    [(where, message)] = problems({"type": "github", "secret": secret})
    assert where == "secret"
    assert "at least 16 characters" in message


def test_allow_unsigned_without_secret() -> None:
    config = GitHubSponsorsConfig.model_validate({"type": "github", "allow_unsigned": True})
    assert config.secret is None


def test_actions_must_be_known_and_not_empty() -> None:
    [(where, _)] = problems({"type": "github", "secret": SECRET, "actions": ["created", "renewed"]})
    assert where == "actions.1"
    [(where, _)] = problems({"type": "github", "secret": SECRET, "actions": []})
    assert where == "actions"


def test_unknown_keys_are_refused() -> None:
    [(where, _)] = problems({"type": "github", "secret": SECRET, "mask_private": True})
    assert where == "mask_private"
