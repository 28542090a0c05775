"""Is an alert about one of the user's own accounts? Pure checks on plain values, for every alert source."""

from __future__ import annotations

import re
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


def account_digits(value: object) -> object:
    """A config's ``accounts`` list as last-4 strings; raises ValueError naming an entry that is not one.

    For a pydantic ``mode="before"`` validator: anything but a list is returned as it is, for the
    field's own type check to refuse.
    """
    if not isinstance(value, list):
        return value
    digits = []
    for item in value:
        text = str(item).strip() if isinstance(item, str | int) and not isinstance(item, bool) else ""
        if not re.fullmatch(r"\d{4}", text):
            raise ValueError(
                f'{item!r}: write the last 4 digits of an account or card in quotes, e.g. "4477"'
            )
        digits.append(text)
    return digits
