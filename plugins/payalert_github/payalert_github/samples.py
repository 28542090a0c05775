"""Built-in sample deliveries for ``payalert github send-test``: one per sponsorship action, plus ping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .config import SPONSORSHIP_ACTIONS

SAMPLE_EVENTS: tuple[str, ...] = (*SPONSORSHIP_ACTIONS, "ping")

_SPONSOR = "payalert-sample-sponsor"
_MAINTAINER = "payalert-sample-maintainer"


def _user(login: str, number: int) -> dict[str, Any]:
    return {
        "login": login,
        "id": number,
        "node_id": f"SAMPLE_USER_{number}",
        "html_url": f"https://github.com/{login}",
        "url": f"https://api.github.com/users/{login}",
        "type": "User",
        "site_admin": False,
    }


def _tier(
    name: str, cents: int, created: datetime, one_time: bool = False, custom: bool = False
) -> dict[str, Any]:
    return {
        "node_id": f"SAMPLE_TIER_{cents}",
        "created_at": created.isoformat(timespec="seconds"),
        "description": "A sample tier from payalert send-test.",
        "monthly_price_in_cents": cents,
        "monthly_price_in_dollars": cents // 100,
        "name": name,
        "is_one_time": one_time,
        "is_custom_amount": custom,
    }


def sample_payload(action: str, now: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """``(X-GitHub-Event, payload)`` of a realistic sample delivery for ``action`` (or ``"ping"``)."""
    now = now or datetime.now(UTC)
    if action == "ping":
        return "ping", {
            "zen": "Payments deserve one clear alert.",
            "hook_id": 1,
            "hook": {
                "type": "SponsorsListing",
                "id": 1,
                "name": "web",
                "active": True,
                "events": ["sponsorship"],
            },
            "sender": _user(_MAINTAINER, 2),
        }
    if action not in SPONSORSHIP_ACTIONS:
        raise ValueError(f"no sample for {action!r}; choose one of {', '.join(SAMPLE_EVENTS)}")
    started = now - timedelta(days=40)
    small = _tier("Coffee", 500, started)
    big = _tier("Lunch", 1500, started)
    tier = {
        "created": _tier("Custom", 1234, started, custom=True),
        "tier_changed": big,
        "pending_tier_change": small,
    }.get(action, small)
    payload: dict[str, Any] = {
        "action": action,
        "sponsorship": {
            "node_id": "SAMPLE_SPONSORSHIP",
            "created_at": (now if action == "created" else started).isoformat(timespec="seconds"),
            "sponsorable": _user(_MAINTAINER, 2),
            "sponsor": _user(_SPONSOR, 1),
            "privacy_level": "public",
            "tier": tier,
        },
        "sender": _user(_SPONSOR, 1),
    }
    if action == "edited":
        payload["changes"] = {"privacy_level": {"from": "private"}}
    if action == "tier_changed":
        payload["changes"] = {"tier": {"from": small}}
    if action == "pending_tier_change":
        payload["changes"] = {"tier": {"from": big}}
    if action.startswith("pending_"):
        payload["effective_date"] = (
            (now + timedelta(days=14)).replace(hour=0, minute=0, second=0).isoformat(timespec="seconds")
        )
    return "sponsorship", payload
