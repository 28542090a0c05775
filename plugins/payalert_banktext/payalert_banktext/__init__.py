"""payalert-banktext: Indian bank, card, wallet and UPI alert texts read into payments.

No I/O: a text (an e-mail body or an SMS) and its envelope go in; a payment, or the kind of message
it is and the reason it is no payment, comes out. Mail sources (payalert-imap) and SMS sources call
the same reader. :func:`read_alert` reads one text with the grammar; :func:`make_chain` puts the
user's regex rules and plugin parsers before it. Parser authors import from here: :class:`AlertText`
(what a parser reads), :class:`ParsedAlert`, :class:`NotATransaction` and :class:`Refused` (what it
answers), and :class:`Template` / :class:`TemplateParser` to build one from whole-sentence regexes.
"""

from .issuers import IssuerMatch, IssuerProfile, issuer_of_sender, mail_domains, match_issuer, profiles
from .kinds import KIND_MEANINGS, Kind
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
from .reader import PARSER_NAME, GrammarParser, Reading, read_alert
from .registry import REGISTER_HOOK, ParserChain, builtin_parsers, make_chain, plugin_parsers
from .rules import RuleConfig, rule_parser
from .senders import domain_matches, sender_matches
from .templates import Template, TemplateParser
from .values import IST

__all__ = [
    "IST",
    "KIND_MEANINGS",
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
    "RuleConfig",
    "Template",
    "TemplateParser",
    "builtin_parsers",
    "domain_matches",
    "issuer_of_sender",
    "mail_domains",
    "make_chain",
    "match_issuer",
    "plugin_parsers",
    "profiles",
    "read_alert",
    "rule_parser",
    "sender_matches",
]
