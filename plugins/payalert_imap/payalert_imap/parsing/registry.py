"""The parser chain: the user's rules, then plugin parsers, then the built-in ones."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pluggy

from .base import AlertParser, AlertText, ParseResult, Refused
from .hdfc import hdfc_parser
from .rules import RuleConfig, rule_parser
from .upi import upi_parser

log = logging.getLogger("payalert.imap.parsers")

_manager: pluggy.PluginManager | None = None


def remember_plugin_manager(manager: pluggy.PluginManager) -> None:
    """Keep the core's plugin manager so sources and the CLI can ask plugins for parsers."""
    global _manager
    _manager = manager


def plugin_parsers(manager: pluggy.PluginManager | None = None) -> list[AlertParser]:
    """Parsers other plugins register through ``payalert_imap_register_parsers``."""
    manager = manager or _manager
    found: list[AlertParser] = []
    if manager is None or not hasattr(manager.hook, "payalert_imap_register_parsers"):
        return found

    def register(parser: AlertParser) -> None:
        if not isinstance(parser, AlertParser):
            raise TypeError(f"{parser!r} is not a parser: it needs name, domains and parse(message)")
        found.append(parser)

    manager.hook.payalert_imap_register_parsers(register=register)
    return found


def builtin_parsers() -> list[AlertParser]:
    """The parsers that ship with payalert-imap, most specific first."""
    return [hdfc_parser(), upi_parser()]


@dataclass
class ParserChain:
    """Asks each parser in turn; the first that recognises the message answers for all."""

    parsers: Sequence[AlertParser]

    def run(self, message: AlertText) -> tuple[AlertParser | None, ParseResult | None]:
        """The first parser with an answer and that answer, or ``(None, None)``."""
        for parser in self.parsers:
            try:
                result = parser.parse(message)
            except Exception as error:  # a plugin's bug must not lose the mail: review it instead
                log.exception("parser %s failed on a message", parser.name)
                return parser, Refused(parser.name, f"parser {parser.name} failed: {type(error).__name__}")
            if result is not None:
                return parser, result
        return None, None

    @property
    def names(self) -> list[str]:
        """Parser names in the order they are asked."""
        return [parser.name for parser in self.parsers]


def make_chain(rules: Iterable[RuleConfig] = (), plugins: bool = True) -> ParserChain:
    """The chain for one source: its rules, then plugin parsers, then the built-ins."""
    parsers: list[AlertParser] = [rule_parser(rule) for rule in rules]
    if plugins:
        parsers += plugin_parsers()
    parsers += builtin_parsers()
    return ParserChain(parsers)
