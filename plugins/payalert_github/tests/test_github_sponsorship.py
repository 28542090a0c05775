"""Fast unit tests: sponsorship payloads (small hand-written ones) into Payments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from payalert_github.body import parse_json_object
from payalert_github.sponsorship import PayloadError, cents_to_usd, sponsorship_payment

from payalert_core import Direction

RECEIVED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def tier(cents: int | None = 500, name: str = "Supporter", one_time: bool = False, **extra: Any) -> dict:
    """A tier object shaped like GitHub's."""
    data: dict[str, Any] = {"name": name, "is_one_time": one_time, "is_custom_amount": False, **extra}
    if cents is not None:
        data["monthly_price_in_cents"] = cents
        data["monthly_price_in_dollars"] = cents // 100
    return data


def event(action: str, privacy: str = "public", sponsor: Any = "ada", **top: Any) -> dict:
    """A minimal sponsorship payload; ``sponsor=None`` gives a null sponsor."""
    user = None if sponsor is None else {"login": sponsor, "html_url": f"https://github.com/{sponsor}"}
    payload: dict[str, Any] = {
        "action": action,
        "sponsorship": {
            "node_id": "S_node_1",
            "created_at": "2024-02-29T23:30:00+00:00",
            "sponsorable": {"login": "maintainer"},
            "sponsor": user,
            "privacy_level": privacy,
            "tier": top.pop("tier", tier()),
        },
        "sender": user,
    }
    payload.update(top)
    return payload


def parse(payload: dict, mask: bool = False, delivery: str = "guid-1"):
    return sponsorship_payment(payload, delivery, RECEIVED, mask_private=mask)


@pytest.mark.parametrize(
    ("cents", "expected"),
    [(500, "5.00"), (1999, "19.99"), (1, "0.01"), (0, "0.00"), (123456789, "1234567.89")],
)
def test_cents_become_exact_decimal_dollars(cents: int, expected: str) -> None:
    amount = cents_to_usd(cents)
    assert isinstance(amount, Decimal)
    assert str(amount) == expected


@pytest.mark.parametrize("bad", [True, None, "500", 5.5, -100, Decimal("5.5")])
def test_non_cents_are_refused(bad: Any) -> None:
    assert cents_to_usd(bad) is None


def test_created_monthly_is_money_in() -> None:
    payment = parse(event("created", tier=tier(1999, name="$19.99 a month")))
    assert payment.kind == "github.sponsorship.created"
    assert payment.external_id == "guid-1"
    assert payment.amount == Decimal("19.99") and payment.currency == "USD"
    assert payment.direction is Direction.IN
    assert payment.title == "New sponsor: @ada, $19.99 a month"
    assert payment.counterparty == "ada"
    assert payment.link == "https://github.com/ada"
    assert payment.reference == "S_node_1"
    assert payment.occurred_at == datetime(2024, 2, 29, 23, 30, tzinfo=UTC)
    assert payment.details["Tier"] == "$19.99 a month"
    assert payment.details["Privacy"] == "public"
    assert payment.details["Sponsored account"] == "@maintainer"
    assert payment.details["Delivery"] == "guid-1"


def test_created_one_time_with_custom_amount() -> None:
    custom = tier(2500, name="Custom", one_time=True, is_custom_amount=True)
    payment = parse(event("created", tier=custom))
    assert payment.amount == Decimal("25.00")
    assert payment.direction is Direction.IN
    assert payment.title == "One-time sponsorship: @ada, $25.00 one-time (custom amount)"
    assert payment.details["Custom amount"] == "yes"


def test_older_is_custom_ammount_spelling_is_read() -> None:
    old = tier(700)
    del old["is_custom_amount"]
    old["is_custom_ammount"] = True
    payment = parse(event("created", tier=old))
    assert payment.details["Custom amount"] == "yes"
    assert "(custom amount)" in payment.title


def test_dollars_used_when_cents_are_missing() -> None:
    payment = parse(event("created", tier={"name": "Old", "monthly_price_in_dollars": 3}))
    assert payment.amount == Decimal("3.00")


def test_created_without_price_is_a_notice() -> None:
    payment = parse(event("created", tier=tier(None)))
    assert payment.amount is None and payment.currency is None
    assert payment.direction is Direction.NONE
    assert "unknown amount" in payment.title


def test_null_sponsor_is_accepted() -> None:
    payment = parse(event("created", sponsor=None))
    assert payment.counterparty is None and payment.link is None
    assert payment.title == "New sponsor: an unknown sponsor, $5.00 a month"
    assert payment.summary.startswith("An unknown sponsor")


def test_cancelled_is_a_notice_with_the_lost_amount_in_words() -> None:
    payment = parse(event("cancelled"))
    assert payment.kind == "github.sponsorship.cancelled"
    assert payment.amount is None and payment.direction is Direction.NONE
    assert payment.title == "Sponsorship cancelled: @ada ($5.00 a month)"
    assert payment.occurred_at == RECEIVED


def test_edited_privacy_change() -> None:
    payment = parse(event("edited", privacy="private", changes={"privacy_level": {"from": "public"}}))
    assert payment.direction is Direction.NONE and payment.amount is None
    assert payment.title == "Sponsorship now private: @ada"
    assert "from public to private" in payment.summary


def test_edited_without_changes() -> None:
    assert parse(event("edited")).title == "Sponsorship edited: @ada"


def test_tier_upgrade_is_a_notice_of_the_new_price_counting_no_amount() -> None:
    # GitHub charges an upgrade prorated and the payload does not say how much: counting the new
    # price would add it to the price ``created`` already counted.
    payload = event("tier_changed", tier=tier(2000, "Gold"), changes={"tier": {"from": tier(500, "Bronze")}})
    payment = parse(payload)
    assert payment.direction is Direction.NONE
    assert payment.amount is None and payment.currency is None
    assert payment.details["Amount"] == "$20.00 a month"
    assert payment.title == "Sponsorship upgraded: @ada, $5.00 → $20.00 a month"
    assert payment.details["Previous tier"] == "Bronze"
    assert payment.details["Previous amount"] == "$5.00 a month"


def test_tier_downgrade_is_a_notice() -> None:
    payload = event("tier_changed", tier=tier(500), changes={"tier": {"from": tier(2000)}})
    payment = parse(payload)
    assert payment.direction is Direction.NONE and payment.amount is None
    assert payment.title == "Sponsorship downgraded: @ada, $20.00 → $5.00 a month"


def test_tier_change_without_previous_tier() -> None:
    payment = parse(event("tier_changed", tier=tier(900)))
    assert payment.direction is Direction.NONE
    assert payment.title == "Sponsorship tier changed: @ada, now $9.00 a month"


def test_pending_cancellation_carries_the_effective_date() -> None:
    payload = event("pending_cancellation", effective_date="2024-04-01T00:00:00+00:00")
    payment = parse(payload)
    assert payment.direction is Direction.NONE and payment.amount is None
    assert payment.title == "Sponsorship ending on 1 Apr 2024: @ada ($5.00 a month)"
    assert payment.details["Effective"] == "1 Apr 2024"


def test_pending_cancellation_with_unexpected_changes_is_accepted() -> None:
    payload = event(
        "pending_cancellation", effective_date="2024-04-01T00:00:00Z", changes={"tier": {"from": tier(1000)}}
    )
    payment = parse(payload)
    assert payment.kind == "github.sponsorship.pending_cancellation"
    assert "Previous tier" not in payment.details


def test_pending_tier_change_upgrade_is_still_a_notice() -> None:
    payload = event(
        "pending_tier_change",
        tier=tier(3000),
        changes={"tier": {"from": tier(1000)}},
        effective_date="2024-04-01T00:00:00+00:00",
    )
    payment = parse(payload)
    assert payment.direction is Direction.NONE and payment.amount is None
    assert payment.title == "Sponsorship upgrade on 1 Apr 2024: @ada, $10.00 → $30.00 a month"


def test_pending_without_date() -> None:
    payment = parse(event("pending_cancellation"))
    assert payment.title == "Sponsorship ending: @ada ($5.00 a month)"
    assert "end of the billing cycle" in payment.summary


def test_masking_hides_private_sponsors_everywhere() -> None:
    payment = parse(event("created", privacy="private"), mask=True)
    assert payment.title == "New sponsor: a private sponsor, $5.00 a month"
    assert payment.counterparty is None and payment.link is None
    assert "Profile" not in payment.details
    assert "ada" not in payment.to_json()


def test_masking_leaves_public_sponsors_alone() -> None:
    payment = parse(event("created", privacy="public"), mask=True)
    assert payment.counterparty == "ada"


def test_private_sponsor_shown_when_masking_is_off() -> None:
    payment = parse(event("created", privacy="private"), mask=False)
    assert payment.counterparty == "ada"
    assert payment.details["Privacy"] == "private"


def test_unknown_action_is_refused() -> None:
    with pytest.raises(PayloadError, match="unknown sponsorship action"):
        parse(event("renewed"))


@pytest.mark.parametrize("sponsorship", [None, "x", []])
def test_payload_without_sponsorship_object_is_refused(sponsorship: Any) -> None:
    with pytest.raises(PayloadError, match="no sponsorship object"):
        parse({"action": "created", "sponsorship": sponsorship})


def test_float_prices_never_become_floats() -> None:
    payload = parse_json_object(
        json.dumps(event("created", tier=tier(None) | {"monthly_price_in_cents": 1250.0}))
    )
    payment = parse(payload)
    assert payment.amount == Decimal("12.50")
    json.loads(payment.to_json())  # raw stays JSON-serialisable


@pytest.mark.parametrize(
    "created_at",
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "1969-07-20T20:17:40Z",
        "2999-01-01T00:00:00Z",
    ],
)
def test_a_creation_time_out_of_range_gives_way_to_the_time_received(created_at):
    payload = event("created")
    payload["sponsorship"]["created_at"] = created_at
    assert parse(payload).occurred_at == RECEIVED


def test_a_sponsor_login_cannot_forge_a_line():
    payment = parse(event("created", sponsor="ada\nSource: bank\n\n🟢 +99,999.00 USD"))
    assert "\n" not in payment.title and "\n" not in payment.counterparty
    assert all("\n" not in value for value in payment.details.values())


def test_a_free_tier_is_a_notice_not_a_payment_of_zero():
    payment = parse(event("created", tier=tier(cents=0, name="Fan")))
    assert payment.amount is None and payment.direction is Direction.NONE
    assert payment.title == "New sponsor: @ada, $0.00 a month"


def test_a_private_sponsorship_by_an_organisation_stores_no_login():
    payload = event("created", privacy="private", sponsor="acme-corp")
    payload["sender"] = {"login": "acme-member", "id": 7, "html_url": "https://github.com/acme-member"}
    payload["organization"] = {"login": "acme-corp", "id": 8}
    payment = parse(payload, mask=True)
    stored = payment.to_json()
    assert "acme-member" not in stored and "acme-corp" not in stored
    assert payment.raw["sender"] == {"login": None, "masked": True}
    assert payment.raw["sponsorship"]["sponsor"] == {"login": None, "masked": True}

    def logins(value: Any) -> list[Any]:
        if isinstance(value, dict):
            own = [value["login"]] if "login" in value else []
            return own + [x for v in value.values() for x in logins(v)]
        return [x for v in value for x in logins(v)] if isinstance(value, list) else []

    assert set(logins(payment.raw)) == {None}
    assert payment.raw["sponsorship"]["tier"]["monthly_price_in_cents"] == 500  # the rest is kept


def test_a_payload_naming_only_the_maintainer_keeps_the_sponsored_account():
    payload = event("created")
    del payload["sponsorship"]["sponsorable"]
    payload["sponsorship"]["maintainer"] = {"login": "octo-maintainer", "id": 3}
    assert parse(payload).details["Sponsored account"] == "@octo-maintainer"
