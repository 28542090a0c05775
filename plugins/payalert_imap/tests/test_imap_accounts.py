"""The user's own accounts: the pure checks any alert source can use."""

from __future__ import annotations

from payalert_imap.accounts import account_mismatch, recipient_mismatch


def test_any_account_is_the_users_when_none_are_listed() -> None:
    assert account_mismatch("4477", ()) is None
    assert account_mismatch(None, ()) is None


def test_listed_accounts_match_by_their_last_digits() -> None:
    accounts = ("4477", "0823")
    assert account_mismatch("4477", accounts) is None
    assert account_mismatch("823", accounts) is None  # "A/c XX823": three digits shown
    assert account_mismatch("1234", accounts) == "account ••1234 is not in accounts (••0823, ••4477)"


def test_too_few_digits_or_none_never_match() -> None:
    assert "too few digits" in (account_mismatch("77", ("4477",)) or "")
    assert "names no account" in (account_mismatch(None, ("4477",)) or "")


def test_recipients_must_hold_an_owner_address_when_listed() -> None:
    assert recipient_mismatch(None, ()) is None
    assert recipient_mismatch(("me@gmail.com",), ("Me@Gmail.com",)) is None
    assert "addressed to other@gmail.com" in (
        recipient_mismatch(("other@gmail.com",), ("me@gmail.com",)) or ""
    )
    assert "does not cover the To header" in (recipient_mismatch(None, ("me@gmail.com",)) or "")
