"""Turn one ``sponsorship`` webhook payload into one Payment a human can read on a phone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from payalert_core import Direction, Payment, is_plausible_time

from .config import SPONSORSHIP_ACTIONS

CURRENCY = "USD"
_MASKED_USER = {"login": None, "masked": True}


class PayloadError(ValueError):
    """A signed payload that is not a sponsorship event this plugin can read."""


@dataclass(frozen=True)
class Tier:
    """A sponsorship tier: its name and price (USD), one-time or monthly, custom or fixed."""

    name: str | None
    price: Decimal | None
    one_time: bool
    custom: bool

    @classmethod
    def from_json(cls, data: Any) -> Tier | None:
        """Read a tier object; None when absent. Accepts the older ``is_custom_ammount`` spelling."""
        if not isinstance(data, dict):
            return None
        custom = data.get("is_custom_amount", data.get("is_custom_ammount", False))
        name = data.get("name")
        return cls(
            name=name if isinstance(name, str) and name else None,
            price=tier_price(data),
            one_time=data.get("is_one_time") is True,
            custom=custom is True,
        )

    def price_text(self) -> str:
        """``$5.00 a month``, ``$25.00 one-time`` or ``unknown amount``."""
        if self.price is None:
            return "unknown amount"
        return f"{usd(self.price)} one-time" if self.one_time else f"{usd(self.price)} a month"


@dataclass(frozen=True)
class Sponsor:
    """Who sponsors, as far as the payload and the masking option allow us to say."""

    login: str | None
    url: str | None
    masked: bool

    @property
    def label(self) -> str:
        """``@login``, ``a private sponsor`` or ``an unknown sponsor``."""
        if self.masked:
            return "a private sponsor"
        return f"@{self.login}" if self.login else "an unknown sponsor"


def cents_to_usd(cents: Any) -> Decimal | None:
    """Whole cents as an exact Decimal in dollars (``1999`` -> ``Decimal("19.99")``); None if not cents."""
    if isinstance(cents, bool) or not isinstance(cents, (int, Decimal)):
        return None
    value = Decimal(cents)
    if not value.is_finite() or value != value.to_integral_value() or value < 0 or value >= 10**15:
        return None
    return value.scaleb(-2).quantize(Decimal("0.01"))


def tier_price(tier: dict[str, Any]) -> Decimal | None:
    """A tier's price from ``monthly_price_in_cents``, else from whole ``monthly_price_in_dollars``."""
    price = cents_to_usd(tier.get("monthly_price_in_cents"))
    if price is not None:
        return price
    dollars = tier.get("monthly_price_in_dollars")
    if isinstance(dollars, int) and not isinstance(dollars, bool) and 0 <= dollars < 10**13:
        return Decimal(dollars).quantize(Decimal("0.01"))
    return None


def usd(amount: Decimal) -> str:
    """``$1,234.50``: how a sponsor amount reads in a title."""
    return f"${amount:,.2f}"


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 time from a payload as a tz-aware datetime, or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None and moment.utcoffset() is not None else None


def human_date(moment: datetime) -> str:
    """``5 Jan 2020``: unambiguous in every locale."""
    return f"{moment.day} {moment:%b %Y}"


def _login(user: Any) -> str | None:
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) and login else None


def _sponsor(sponsorship: dict[str, Any], mask_private: bool) -> Sponsor:
    user = sponsorship.get("sponsor")
    login = _login(user)
    url = user.get("html_url") if isinstance(user, dict) else None
    if not isinstance(url, str) or not url.startswith("https://"):
        url = f"https://github.com/{login}" if login else None
    private = sponsorship.get("privacy_level") == "private"
    return Sponsor(login=login, url=url, masked=mask_private and private)


def _raw(payload: dict[str, Any], sponsor: Sponsor) -> dict[str, Any]:
    """A JSON-only copy of the payload; when masked, every user object in it is blanked.

    The sponsor, ``sender`` (for an organisation, the member who clicked Sponsor) and any other
    object carrying a ``login`` become ``{"login": null, "masked": true}``: no identity is stored.
    """
    raw: dict[str, Any] = json.loads(json.dumps(payload, default=str))
    if not sponsor.masked:
        return raw
    sponsorship = raw.get("sponsorship")
    if isinstance(sponsorship, dict) and "sponsor" in sponsorship:
        sponsorship["sponsor"] = dict(_MASKED_USER)
    if "sender" in raw:
        raw["sender"] = dict(_MASKED_USER)
    return {key: _without_logins(value) for key, value in raw.items()}


def _without_logins(value: Any) -> Any:
    """``value`` with every object that has a ``login`` key replaced by the masked user."""
    if isinstance(value, dict):
        if "login" in value:
            return dict(_MASKED_USER)
        return {key: _without_logins(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_logins(item) for item in value]
    return value


def _previous_tier(payload: dict[str, Any]) -> Tier | None:
    changes = payload.get("changes")
    tier_change = changes.get("tier") if isinstance(changes, dict) else None
    return Tier.from_json(tier_change.get("from")) if isinstance(tier_change, dict) else None


def _change_word(before: Tier | None, after: Tier | None) -> str | None:
    """``upgrade``, ``downgrade``, or None when the prices cannot tell."""
    if before is None or after is None or before.price is None or after.price is None:
        return None
    if after.price > before.price:
        return "upgrade"
    if after.price < before.price:
        return "downgrade"
    return None


def _from_to(before: Tier | None, after: Tier | None) -> str:
    if before is not None and before.price is not None and after is not None and after.price is not None:
        return f"{usd(before.price)} → {after.price_text()}"
    return after.price_text() if after is not None else "unknown tier"


@dataclass(frozen=True)
class _Text:
    title: str
    summary: str
    direction: Direction = Direction.NONE
    amount: Decimal | None = None


def _describe(action: str, payload: dict[str, Any], sponsor: Sponsor, tier: Tier | None) -> _Text:
    """Title, summary, direction and amount for one action."""
    who = sponsor.label
    price = tier.price_text() if tier is not None else "unknown amount"
    if action == "created":
        custom = " (custom amount)" if tier is not None and tier.custom else ""
        amount = tier.price if tier is not None and tier.price else None  # a $0 tier moves no money
        direction = Direction.IN if amount is not None else Direction.NONE
        if tier is not None and tier.one_time:
            return _Text(
                f"One-time sponsorship: {who}, {price}{custom}",
                f"{who} sponsored you once: {price}.",
                direction,
                amount,
            )
        return _Text(
            f"New sponsor: {who}, {price}{custom}",
            f"{who} started sponsoring you: {price}.",
            direction,
            amount,
        )
    if action == "cancelled":
        return _Text(
            f"Sponsorship cancelled: {who} ({price})", f"{who} is no longer sponsoring you (was {price})."
        )
    if action == "edited":
        privacy = payload["sponsorship"].get("privacy_level")
        changes = payload.get("changes")
        was = changes.get("privacy_level") if isinstance(changes, dict) else None
        if isinstance(was, dict) and isinstance(privacy, str) and was.get("from") != privacy:
            return _Text(
                f"Sponsorship now {privacy}: {who}",
                f"{who} changed their sponsorship from {was.get('from')} to {privacy}.",
            )
        return _Text(f"Sponsorship edited: {who}", f"{who} edited their sponsorship ({price}).")
    before = _previous_tier(payload)
    change = _change_word(before, tier)
    if action == "tier_changed":
        # A notice of the new monthly price: GitHub charges an upgrade prorated, and the payload
        # does not say how much, so no amount is counted (the ``created`` price already was).
        if change is not None:
            return _Text(
                f"Sponsorship {change}d: {who}, {_from_to(before, tier)}",
                f"{who} now sponsors you with {price}.",
            )
        return _Text(f"Sponsorship tier changed: {who}, now {price}", f"{who} changed tier, now {price}.")
    effective = parse_time(payload.get("effective_date"))
    on = f" on {human_date(effective)}" if effective else ""
    if action == "pending_cancellation":
        return _Text(
            f"Sponsorship ending{on}: {who} ({price})",
            f"{who} cancelled; the sponsorship ({price}) ends{on or ' at the end of the billing cycle'}.",
        )
    # pending_tier_change
    word = change or "tier change"
    return _Text(
        f"Sponsorship {word}{on}: {who}, {_from_to(before, tier)}",
        f"{who} will change tier{on or ' at the end of the billing cycle'}: {_from_to(before, tier)}.",
    )


def sponsorship_payment(
    payload: dict[str, Any], delivery_id: str, received_at: datetime, mask_private: bool = False
) -> Payment:
    """One Payment for a ``sponsorship`` event; ``external_id`` is the delivery id (kept by redeliveries).

    Raises PayloadError when the payload is not a sponsorship event of a documented action. Values
    are kept inside the bounds every payment meets: a creation time out of range gives way to
    ``received_at``, a $0 tier is a notice without an amount.
    """
    action = payload.get("action")
    if action not in SPONSORSHIP_ACTIONS:
        raise PayloadError(f"unknown sponsorship action {action!r}")
    sponsorship = payload.get("sponsorship")
    if not isinstance(sponsorship, dict):
        raise PayloadError("payload has no sponsorship object")
    sponsor = _sponsor(sponsorship, mask_private)
    tier = Tier.from_json(sponsorship.get("tier"))
    text = _describe(action, payload, sponsor, tier)

    details: dict[str, str] = {"Sponsor": sponsor.label}
    if sponsor.url and not sponsor.masked:
        details["Profile"] = sponsor.url
    privacy = sponsorship.get("privacy_level")
    if isinstance(privacy, str):
        details["Privacy"] = privacy
    if tier is not None:
        if tier.name:
            details["Tier"] = tier.name
        details["Amount"] = tier.price_text()
        if tier.custom:
            details["Custom amount"] = "yes"
    before = _previous_tier(payload)
    if before is not None and action in ("tier_changed", "pending_tier_change"):
        details["Previous tier"] = before.name or before.price_text()
        details["Previous amount"] = before.price_text()
    effective = parse_time(payload.get("effective_date"))
    if effective is not None and action.startswith("pending_"):
        details["Effective"] = human_date(effective)
    # Older payloads name the sponsored account only as ``maintainer``.
    sponsorable = _login(sponsorship.get("sponsorable")) or _login(sponsorship.get("maintainer"))
    if sponsorable:
        details["Sponsored account"] = f"@{sponsorable}"
    details["Delivery"] = delivery_id

    created_at = parse_time(sponsorship.get("created_at")) if action == "created" else None
    if created_at is not None and not is_plausible_time(created_at):
        created_at = None  # a creation time before 1970 or after tomorrow: say when it arrived
    node_id = sponsorship.get("node_id")
    return Payment(
        source="",
        kind=f"github.sponsorship.{action}",
        external_id=delivery_id,
        amount=text.amount,
        currency=CURRENCY if text.amount is not None else None,
        direction=text.direction,
        occurred_at=created_at or received_at,
        title=text.title[:1].upper() + text.title[1:],
        summary=text.summary[:1].upper() + text.summary[1:],
        counterparty=None if sponsor.masked else sponsor.login,
        reference=node_id if isinstance(node_id, str) else None,
        link=None if sponsor.masked else sponsor.url,
        details=details,
        raw=_raw(payload, sponsor),
    )
