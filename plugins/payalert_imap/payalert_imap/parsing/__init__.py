"""Alert parsers: what they read, what they answer, and the chain that asks them in turn."""

from .base import AlertParser, AlertText, NotATransaction, ParsedAlert, ParseResult, Refused
from .registry import ParserChain, builtin_parsers, make_chain, plugin_parsers, remember_plugin_manager
from .rules import RuleConfig, rule_parser
from .templates import Template, TemplateParser

__all__ = [
    "AlertParser",
    "AlertText",
    "NotATransaction",
    "ParseResult",
    "ParsedAlert",
    "ParserChain",
    "Refused",
    "RuleConfig",
    "Template",
    "TemplateParser",
    "builtin_parsers",
    "make_chain",
    "plugin_parsers",
    "remember_plugin_manager",
    "rule_parser",
]
