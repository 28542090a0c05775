"""The user's own accounts: the pure checks every alert source uses."""

from __future__ import annotations

import pytest
from payalert_banktext import account_digits, account_mismatch


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


def test_accounts_in_config_are_four_digits_each() -> None:
    assert account_digits(["4477", 1234, " 0823 "]) == ["4477", "1234", "0823"]
    assert account_digits("4477") == "4477"  # not a list: the field's own type check refuses it


@pytest.mark.parametrize("entry", [823, "12345", "44a7", True, None])
def test_an_account_that_is_not_four_digits_is_named(entry: object) -> None:
    with pytest.raises(ValueError, match="last 4 digits"):
        account_digits(["4477", entry])
