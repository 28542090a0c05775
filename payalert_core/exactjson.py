"""JSON for money: every non-integer number becomes a ``Decimal``; ``NaN`` and ``Infinity`` are refused."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_refuse_constant)


def parse_exact_json(text: str | bytes) -> Any:
    """Decode ``text`` (bytes in any encoding JSON allows) without ever producing a float.

    Raises ``ValueError`` (``json.JSONDecodeError``, ``UnicodeDecodeError``) for bad input and
    ``RecursionError`` for absurdly deep nesting, as :func:`json.loads` does.
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    return _DECODER.decode(text)
