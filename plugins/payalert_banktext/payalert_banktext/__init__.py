"""payalert-banktext: Indian bank, card, wallet and UPI alert texts read into payments.

No I/O: a text (an e-mail body or an SMS) and its envelope go in; a payment, or the kind of message
it is and the reason it is no payment, comes out. Mail sources (payalert-imap) and SMS sources call
the same reader. :func:`read_alert` reads one text with the grammar; :func:`make_chain` puts the
user's regex rules and plugin parsers before it. Parser authors import from here: :class:`AlertText`
(what a parser reads), :class:`ParsedAlert`, :class:`NotATransaction` and :class:`Refused` (what it
answers), and :class:`Template` / :class:`TemplateParser` to build one from whole-sentence regexes.
"""

from .holder import MIN_VISIBLE_DIGITS, account_digits, account_mismatch
from .issuers import (
    IssuerMatch,
    IssuerProfile,
    dlt_header,
    issuer_of_sender,
    issuer_of_sms_sender,
    mail_domains,
    match_issuer,
    profiles,
)
from .kinds import KIND_MEANINGS, Kind
from .matching import RepeatWindow, issuer_named, payment_match
from .model import (
    AlertParser,
    AlertText,
    Direction,
    Medium,
    NotATransaction,
    ParsedAlert,
    ParseResult,
    Refused,
)
from .payments import alert_payment, alert_title, looks_transactional
from .reader import PARSER_NAME, GrammarParser, Reading, read_alert
from .registry import REGISTER_HOOK, ParserChain, builtin_parsers, make_chain, plugin_parsers
from .rules import RuleConfig, rule_parser
from .senders import domain_matches, sender_matches
from .templates import Template, TemplateParser
from .values import IST

__all__ = [
    "IST",
    "KIND_MEANINGS",
    "MIN_VISIBLE_DIGITS",
    "PARSER_NAME",
    "REGISTER_HOOK",
    "AlertParser",
    "AlertText",
    "Direction",
    "GrammarParser",
    "IssuerMatch",
    "IssuerProfile",
    "Kind",
    "Medium",
    "NotATransaction",
    "ParseResult",
    "ParsedAlert",
    "ParserChain",
    "Reading",
    "Refused",
    "RepeatWindow",
    "RuleConfig",
    "Template",
    "TemplateParser",
    "account_digits",
    "account_mismatch",
    "alert_payment",
    "alert_title",
    "builtin_parsers",
    "dlt_header",
    "domain_matches",
    "issuer_named",
    "issuer_of_sender",
    "issuer_of_sms_sender",
    "looks_transactional",
    "mail_domains",
    "make_chain",
    "match_issuer",
    "payment_match",
    "plugin_parsers",
    "profiles",
    "read_alert",
    "rule_parser",
    "sender_matches",
]
