"""Decoding verified bodies: JSON and url-encoded forms."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

import pytest
from payalert_github.body import InvalidBody, UnsupportedContentType, decode_body


def test_json_body() -> None:
    assert decode_body(b'{"a": 1.5}', "application/json; charset=utf-8") == {"a": Decimal("1.5")}


def test_form_body() -> None:
    body = urlencode({"payload": '{"action": "created", "x": "a&b=c"}'}).encode()
    assert decode_body(body, "application/x-www-form-urlencoded") == {"action": "created", "x": "a&b=c"}


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{not json", "application/json", "invalid JSON"),
        (b"", "application/json", "invalid JSON"),
        (b"[1, 2]", "application/json", "expected a JSON object"),
        (b'{"a": NaN}', "application/json", "invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "invalid JSON"),
        (b"\xff\xfe{", "application/json", "invalid JSON"),
        (b"other=1", "application/x-www-form-urlencoded", "exactly one payload"),
        (b"payload=1&payload=2", "application/x-www-form-urlencoded", "exactly one payload"),
        (b"payload=%7Bnope", "application/x-www-form-urlencoded", "invalid JSON"),
        (b"payload=%FF", "application/x-www-form-urlencoded", "UTF-8"),
        (b"payload=\xff", "application/x-www-form-urlencoded", "UTF-8"),
    ],
)
def test_invalid_bodies(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(InvalidBody, match=message):
        decode_body(body, content_type)


@pytest.mark.parametrize("content_type", ["", "text/plain", "multipart/form-data; boundary=x"])
def test_other_content_types(content_type: str) -> None:
    with pytest.raises(UnsupportedContentType):
        decode_body(b"{}", content_type)
