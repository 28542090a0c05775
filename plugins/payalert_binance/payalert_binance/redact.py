"""Keep secrets, keys and request signatures out of every text we log or raise."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "<redacted>"
# python-binance puts the signature (and timestamp) in the URL; aiohttp quotes URLs in its errors.
_SIGNATURE = re.compile(r"(signature=)[^&\s'\"<>)\]]*", re.IGNORECASE)
_QUERY = re.compile(r"(https?://[^\s?'\"<>]+)\?[^\s'\"<>)\]]*")


class Redactor:
    """Replaces given secret values, signatures and query strings in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted(
            {value for value in secrets if value and len(value) >= 4}, key=len, reverse=True
        )

    def __call__(self, text: object) -> str:
        """``text`` as a string with every secret, signature and URL query string replaced."""
        result = str(text)
        for secret in self._secrets:
            result = result.replace(secret, REDACTED)
        result = _SIGNATURE.sub(rf"\g<1>{REDACTED}", result)
        result = _QUERY.sub(rf"\g<1>?{REDACTED}", result)
        return " ".join(result.split())
