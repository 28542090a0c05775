"""Is a bank alert about one of the user's own accounts? Pure checks on plain values, for any alert source."""

from __future__ import annotations

from collections.abc import Collection

#: Fewer visible digits than this cannot tell one account from another.
MIN_VISIBLE_DIGITS = 3


def account_mismatch(account_last4: str | None, accounts: Collection[str]) -> str | None:
    """Why the alert's account is not one of ``accounts`` (last 4 digits each), or None when it is.

    No ``accounts`` means every account is the user's. An alert showing fewer than four digits
    (``XX823``) matches the account whose last digits they are; one showing fewer than
    :data:`MIN_VISIBLE_DIGITS`, or none, matches nothing.
    """
    if not accounts:
        return None
    listed = ", ".join(f"••{account}" for account in sorted(accounts))
    if not account_last4:
        return f"the alert names no account, and accounts lists {listed}"
    if len(account_last4) < MIN_VISIBLE_DIGITS:
        return f"the alert shows only ••{account_last4}, too few digits to match accounts ({listed})"
    if any(account.endswith(account_last4) for account in accounts):
        return None
    return f"account ••{account_last4} is not in accounts ({listed})"


def recipient_mismatch(recipients: Collection[str] | None, owner_addresses: Collection[str]) -> str | None:
    """Why the alert was not addressed to the user, or None when it was (or ``owner_addresses`` is empty).

    ``recipients`` are the addresses the bank's signature vouches for, or None when nothing signed
    who the alert is for.
    """
    if not owner_addresses:
        return None
    if recipients is None:
        return "the bank's signature does not cover the To header, so owner_addresses cannot be checked"
    owners = {address.lower() for address in owner_addresses}
    if owners & {address.lower() for address in recipients}:
        return None
    shown = ", ".join(sorted(recipients)) or "nobody"
    return f"the alert is addressed to {shown}, not to one of owner_addresses"
