"""The parser chain: the user's rules, then plugin parsers, then the built-in ones."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pluggy

from .model import AlertParser, AlertText, ParseResult, Refused
from .reader import GrammarParser
from .rules import RuleConfig, rule_parser

log = logging.getLogger("payalert.banktext")

#: The hook every parser plugin implements (declared by this distribution's ``banktext`` plugin).
REGISTER_HOOK = "payalert_register_parsers"


def plugin_parsers(
    manager: pluggy.PluginManager | None, hook_names: Iterable[str] = (REGISTER_HOOK,)
) -> list[AlertParser]:
    """Parsers that plugins registered through ``hook_names`` on ``manager`` (none without a manager)."""
    found: list[AlertParser] = []
    if manager is None:
        return found

    def register(parser: AlertParser) -> None:
        if not isinstance(parser, AlertParser):
            raise TypeError(f"{parser!r} is not a parser: it needs name, domains and parse(message)")
        found.append(parser)

    for hook_name in hook_names:
        hook = getattr(manager.hook, hook_name, None)
        if hook is not None:
            hook(register=register)
    return found


def builtin_parsers() -> list[AlertParser]:
    """The parsers that ship with payalert-banktext: the grammar of Indian alert texts."""
    return [GrammarParser()]


@dataclass
class ParserChain:
    """Asks each parser in turn; the first that recognises the message answers for all."""

    parsers: Sequence[AlertParser]

    def run(self, message: AlertText) -> tuple[AlertParser | None, ParseResult | None]:
        """The first parser with an answer and that answer, or ``(None, None)``."""
        for parser in self.parsers:
            try:
                result = parser.parse(message)
            except Exception as error:  # a plugin's bug must not lose the alert: review it instead
                log.exception("parser %s failed on a message", parser.name)
                return parser, Refused(parser.name, f"parser {parser.name} failed: {type(error).__name__}")
            if result is not None:
                return parser, result
        return None, None

    @property
    def names(self) -> list[str]:
        """Parser names in the order they are asked."""
        return [parser.name for parser in self.parsers]


def make_chain(
    rules: Iterable[RuleConfig] = (),
    manager: pluggy.PluginManager | None = None,
    hook_names: Iterable[str] = (REGISTER_HOOK,),
) -> ParserChain:
    """The chain for one source: its rules, then the parsers plugins registered on ``manager``, then the built-ins."""
    parsers: list[AlertParser] = [rule_parser(rule) for rule in rules]
    parsers += plugin_parsers(manager, hook_names)
    parsers += builtin_parsers()
    return ParserChain(parsers)
