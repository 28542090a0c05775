"""Secrets, keys and signatures never survive into text we log."""

from __future__ import annotations

from payalert_binance.redact import REDACTED, Redactor


def test_secret_and_key_values_are_replaced():
    redact = Redactor(["s3cr3t-value-XYZ", "api-key-123456"])
    text = redact("failed with s3cr3t-value-XYZ and api-key-123456 inside")
    assert "s3cr3t" not in text and "api-key-123456" not in text
    assert text.count(REDACTED) == 2


def test_signature_and_query_strings_are_removed_from_urls():
    redact = Redactor([])
    message = (
        "Invalid JSON error message from Binance: <bound method ClientResponse.text of "
        "<ClientResponse(http://127.0.0.1:5000/sapi/v1/capital/deposit/hisrec?limit=1000&"
        "timestamp=1700000000000&signature=abcdef0123456789) [502 Bad Gateway]>>"
    )
    text = redact(message)
    assert "abcdef0123456789" not in text
    assert "timestamp=1700000000000" not in text
    assert "http://127.0.0.1:5000/sapi/v1/capital/deposit/hisrec?<redacted>" in text


def test_bare_signature_parameter_is_removed():
    assert Redactor([])("params: signature=deadbeef&x=1") == f"params: signature={REDACTED}&x=1"


def test_short_values_are_not_treated_as_secrets_and_text_is_one_line():
    redact = Redactor(["ab", ""])
    assert redact("a\nb  ab") == "a b ab"
