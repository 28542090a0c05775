"""The same payment told by SMS and by e-mail (or twice): the keys that let any alert source recognise it.

The rule itself (references decide, else the fingerprint within a time window) and the durable
record are payalert-core's (:class:`payalert_core.PaymentMatch`); this module says what the keys
of a bank alert are, so every source that reads alerts with this library builds the same ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator

from payalert_core import DEFAULT_MATCH_WINDOW, Duration, PaymentMatch

from .issuers import IssuerProfile, profiles
from .model import ParsedAlert


def _within_a_day(window: timedelta) -> timedelta:
    if not timedelta(0) <= window <= timedelta(days=1):
        raise ValueError("must be between 0s and 1d, e.g. 10m")
    return window


#: How many of the account's last digits a fingerprint holds: the fewest an alert shows.
ACCOUNT_DIGITS_COMPARED = 2
#: A source's ``repeat_window``: how close two tellings without a common reference must be (0s to 1d).
RepeatWindow = Annotated[Duration, AfterValidator(_within_a_day)]


def issuer_named(name: str | None) -> IssuerProfile | None:
    """The profile whose name is ``name`` (as a parser reports an alert's issuer), or None."""
    if not name:
        return None
    return next((profile for profile in profiles() if profile.name == name), None)


def payment_match(
    alert: ParsedAlert,
    told_at: datetime,
    window: timedelta = DEFAULT_MATCH_WINDOW,
    issuer: IssuerProfile | None = None,
) -> PaymentMatch | None:
    """The keys of a payment read from an alert sent at ``told_at``; None when its issuer is unknown.

    ``issuer`` is who sent the alert (a trusted SMS header or mail domain), else the issuer the
    parser named. The reference counts with the direction (both legs of a transfer between two of
    the holder's accounts at one bank carry one reference); the fingerprint is the account's last
    two digits, the amount, its currency and the direction. Two digits, because that is what every
    telling shows: one bank's SMS may show ``XX477`` where its mail shows ``XXXXXX4477``.
    """
    profile = issuer or issuer_named(alert.issuer)
    if profile is None:
        return None
    reference = f"{alert.reference.strip().upper()}:{alert.direction}" if alert.reference else None
    amount = format(alert.amount.normalize(), "f")
    account = (alert.account_last4 or "-")[-ACCOUNT_DIGITS_COMPARED:]
    return PaymentMatch(
        issuer=profile.id,
        fingerprint=f"{account}|{amount}|{alert.currency}|{alert.direction}",
        told_at=told_at,
        reference=reference,
        window=window,
    )
