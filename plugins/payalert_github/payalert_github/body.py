"""Decode a (verified) webhook body: JSON, or a form whose ``payload`` field holds the JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from payalert_core import parse_exact_json

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class UnsupportedContentType(ValueError):
    """The request's content type is neither of the two GitHub can send."""


class InvalidBody(ValueError):
    """The body is not the JSON object GitHub sends (the message says what is wrong, without the body)."""


def parse_json_object(text: str | bytes) -> dict[str, Any]:
    """A JSON object with numbers as ``int``/``Decimal`` (never float); InvalidBody otherwise."""
    try:
        value = parse_exact_json(text)
    except (ValueError, RecursionError) as error:
        raise InvalidBody(f"invalid JSON ({type(error).__name__})") from None
    if not isinstance(value, dict):
        raise InvalidBody(f"expected a JSON object, got {type(value).__name__}")
    return value


def decode_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The payload object of a delivery sent as ``application/json`` or as a form."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == JSON:
        return parse_json_object(raw)
    if mime == FORM:
        try:
            fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise InvalidBody("form body is not valid UTF-8 url-encoding") from None
        payloads = fields.get("payload", [])
        if len(payloads) != 1:
            raise InvalidBody("form body must have exactly one payload field")
        return parse_json_object(payloads[0])
    raise UnsupportedContentType(mime or "(none)")
