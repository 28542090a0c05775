import pytest

from payalert_core import sha256_signature_problem, sign_sha256

BODY = b'{"id": 1}'


def test_sign_and_verify():
    header = sign_sha256("secret", BODY)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert sha256_signature_problem("secret", BODY, header) is None
    assert sha256_signature_problem(b"secret", BODY, header.upper().replace("SHA256=", "sha256=")) is None


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha1=" + "0" * 40, "malformed"),
        ("sha256=" + "z" * 64, "malformed"),
        ("sha256=" + "0" * 63, "malformed"),
        ("sha256=" + "0" * 64, "mismatch"),
    ],
)
def test_problems(header, problem):
    assert sha256_signature_problem("secret", BODY, header) == problem


def test_other_secret_or_body_mismatch():
    header = sign_sha256("secret", BODY)
    assert sha256_signature_problem("other", BODY, header) == "mismatch"
    assert sha256_signature_problem("secret", BODY + b" ", header) == "mismatch"


def test_matches_githubs_published_example():
    """The example in GitHub's webhook documentation: a known answer, not a round trip."""
    body = b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign_sha256("It's a Secret to Everybody", body) == expected
    assert sha256_signature_problem("It's a Secret to Everybody", body, expected) is None
