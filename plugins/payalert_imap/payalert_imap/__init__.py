"""payalert-imap: Indian bank and UPI alert e-mails, read over IMAP, as payalert payments.

Reading the alert text is payalert-banktext's job; parser authors import from ``payalert_banktext``.
The names below stay importable from here for parsers written against payalert-imap 0.1.
"""

from payalert_banktext import (
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
