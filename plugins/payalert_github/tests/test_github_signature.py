"""The signing function against GitHub's published test vector, and every way a header can be wrong."""

from __future__ import annotations

import json

import pytest
from payalert_testing import corpus_path

from payalert_core import sha256_signature_problem as signature_problem
from payalert_core import sign_sha256 as sign_body

SECRET = "unit-test-secret"


def test_github_docs_test_vector() -> None:
    vector = json.loads(corpus_path("github", "signature-test-vector.github-docs.json").read_text())
    body = vector["payload"].encode("utf-8")
    assert sign_body(vector["secret"], body) == vector["X-Hub-Signature-256"]
    assert sign_body(vector["secret"], body) == "sha256=" + vector["signature"]
    assert signature_problem(vector["secret"], body, vector["X-Hub-Signature-256"]) is None
    assert signature_problem(vector["secret"] + "!", body, vector["X-Hub-Signature-256"]) == "mismatch"


def test_round_trip_and_uppercase_hex() -> None:
    body = b'{"action": "created"}'
    header = sign_body(SECRET, body)
    assert signature_problem(SECRET, body, header) is None
    assert signature_problem(SECRET, body, "sha256=" + header[7:].upper()) is None
    assert signature_problem(SECRET.encode(), body, header) is None


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha1=" + "0" * 40, "malformed"),
        ("sha256=", "malformed"),
        ("sha256=" + "0" * 63, "malformed"),
        ("sha256=" + "z" * 64, "malformed"),
        ("SHA256=" + "0" * 64, "malformed"),
        ("0" * 64, "malformed"),
        ("sha256=" + "é" * 64, "malformed"),
        ("sha256=" + "0" * 64, "mismatch"),
    ],
)
def test_bad_headers(header: str | None, problem: str) -> None:
    assert signature_problem(SECRET, b"body", header) == problem


def test_signature_covers_every_byte() -> None:
    header = sign_body(SECRET, b"payload=%7B%7D")
    assert signature_problem(SECRET, b"payload=%7B%7D ", header) == "mismatch"
    assert signature_problem("other-secret", b"payload=%7B%7D", header) == "mismatch"
