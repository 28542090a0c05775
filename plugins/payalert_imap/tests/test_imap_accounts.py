"""Who a bank mail was addressed to: the owner_addresses check."""

from __future__ import annotations

from payalert_imap.accounts import recipient_mismatch


def test_recipients_must_hold_an_owner_address_when_listed() -> None:
    assert recipient_mismatch(None, ()) is None
    assert recipient_mismatch(("me@gmail.com",), ("Me@Gmail.com",)) is None
    assert "addressed to other@gmail.com" in (
        recipient_mismatch(("other@gmail.com",), ("me@gmail.com",)) or ""
    )
    assert "does not cover the To header" in (recipient_mismatch(None, ("me@gmail.com",)) or "")
