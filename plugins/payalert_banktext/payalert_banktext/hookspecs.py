"""The hook parser plugins implement, declared to payalert through ``payalert_add_hookspecs``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .model import AlertParser

hookspec = pluggy.HookspecMarker("payalert")


@hookspec
def payalert_register_parsers(register: Callable[[AlertParser], None]) -> None:
    """Register parsers for bank, card, wallet and UPI alert texts, from mail and from SMS alike.

    Called when a source that reads alert texts starts (an ``imap`` mailbox, an SMS source) and
    when ``payalert imap explain`` runs. Call ``register`` with objects that have ``name`` (str),
    ``domains`` (tuple of mail domains whose authenticated mail may carry these alerts; empty for
    any bank domain) and ``parse(message: AlertText) -> ParsedAlert | NotATransaction | Refused |
    None``; ``message.medium`` says whether the text is an e-mail body or an SMS. Plugin parsers
    run after the user's own regex rules and before the built-in grammar.

    .. versionadded:: 0.1
    """
