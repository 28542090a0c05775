"""The parser chain a mailbox reads with: payalert-banktext's, plus parsers registered for mail only."""

from __future__ import annotations

from collections.abc import Iterable

import pluggy
from payalert_banktext import REGISTER_HOOK, ParserChain, RuleConfig, make_chain

#: payalert-imap's own registration hook, for parsers that read mail only (see ``hookspecs``).
MAIL_REGISTER_HOOK = "payalert_imap_register_parsers"


def mail_chain(rules: Iterable[RuleConfig], manager: pluggy.PluginManager | None) -> ParserChain:
    """The user's rules, parsers plugins registered on ``manager`` (mail and SMS, then mail only), the built-ins."""
    return make_chain(rules, manager, hook_names=(REGISTER_HOOK, MAIL_REGISTER_HOOK))
