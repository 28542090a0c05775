"""HMAC-SHA256 request signatures of the form ``sha256=<hex>``, as GitHub and payalert's webhook use."""

from __future__ import annotations

import hmac
import string

_PREFIX = "sha256="
_HEX = frozenset(string.hexdigits)


def _key(secret: str | bytes) -> bytes:
    return secret if isinstance(secret, bytes) else secret.encode("utf-8")


def sign_sha256(secret: str | bytes, body: bytes) -> str:
    """``sha256=`` followed by the hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return _PREFIX + hmac.digest(_key(secret), body, "sha256").hex()


def sha256_signature_problem(secret: str | bytes, body: bytes, header: str | None) -> str | None:
    """None when ``header`` signs ``body``; otherwise ``"missing"``, ``"malformed"`` or ``"mismatch"``.

    Only the header's shape is checked before the constant-time comparison, which tells a
    forger nothing about the secret.
    """
    if not header:
        return "missing"
    value = header.strip()
    hex_digest = value[len(_PREFIX) :]
    if not value.startswith(_PREFIX) or len(hex_digest) != 64 or not _HEX.issuperset(hex_digest):
        return "malformed"
    expected = hmac.digest(_key(secret), body, "sha256")  # one-shot, in C
    if not hmac.compare_digest(bytes.fromhex(hex_digest), expected):
        return "mismatch"
    return None
