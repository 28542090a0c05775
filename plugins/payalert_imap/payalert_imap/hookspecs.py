"""Hooks of payalert-imap itself, declared to the core through ``payalert_add_hookspecs``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from payalert_banktext import AlertParser

hookspec = pluggy.HookspecMarker("payalert")


@hookspec
def payalert_imap_register_parsers(register: Callable[[AlertParser], None]) -> None:
    """Register alert parsers for bank or UPI e-mails only (mail and SMS: ``payalert_register_parsers``).

    Called when an ``imap`` source starts and when ``payalert imap explain`` runs, right after
    ``payalert_register_parsers`` (payalert-banktext), which parser plugins should prefer. Call
    ``register`` with objects that have ``name`` (str), ``domains`` (tuple of sender domains whose
    authenticated mail may carry these alerts; empty for any bank domain) and
    ``parse(message: AlertText) -> ParsedAlert | NotATransaction | Refused | None``. Plugin
    parsers run after the user's own regex rules and before the built-in ones.

    .. versionadded:: 0.1
    """
