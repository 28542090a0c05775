"""payalert-banktext: Indian bank, card, wallet and UPI alert texts read into payments.

No I/O: a text (an e-mail body or an SMS) and its envelope go in, a payment or the reason there is
none comes out. Mail sources (payalert-imap) and SMS sources call the same parsers. Parser authors
import from here: :class:`AlertText` (what a parser reads), :class:`ParsedAlert`,
:class:`NotATransaction` and :class:`Refused` (what it answers), and :class:`Template` /
:class:`TemplateParser` to build one from whole-sentence regexes.
"""

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
from .registry import REGISTER_HOOK, ParserChain, builtin_parsers, make_chain, plugin_parsers
from .rules import RuleConfig, rule_parser
from .senders import domain_matches, sender_matches
from .templates import Template, TemplateParser
from .values import IST

__all__ = [
    "IST",
    "REGISTER_HOOK",
    "AlertParser",
    "AlertText",
    "Direction",
    "Medium",
    "NotATransaction",
    "ParseResult",
    "ParsedAlert",
    "ParserChain",
    "Refused",
    "RuleConfig",
    "Template",
    "TemplateParser",
    "builtin_parsers",
    "domain_matches",
    "make_chain",
    "plugin_parsers",
    "rule_parser",
    "sender_matches",
]
