"""Is a bank mail for the user? Who it was addressed to (the account check is payalert-banktext's)."""

from __future__ import annotations

from collections.abc import Collection


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
