"""payalert-imap: Indian bank and UPI alert e-mails, read over IMAP, as payalert payments.

Parser authors import from here: :class:`AlertText` (what a parser reads), :class:`ParsedAlert`,
:class:`NotATransaction` and :class:`Refused` (what it answers), and :class:`Template` /
:class:`TemplateParser` to build one from whole-sentence regexes.
"""

from .parsing import (
    AlertParser,
    AlertText,
    NotATransaction,
    ParsedAlert,
    ParseResult,
    Refused,
    Template,
    TemplateParser,
)

__all__ = [
    "AlertParser",
    "AlertText",
    "NotATransaction",
    "ParseResult",
    "ParsedAlert",
    "Refused",
    "Template",
    "TemplateParser",
]
