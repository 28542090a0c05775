from decimal import Decimal

import pytest

from payalert_core import parse_exact_json


def test_fractions_are_decimals_and_integers_stay_int():
    value = parse_exact_json(b'{"amount": 0.1, "cents": 10, "big": 12345678901234567890.000000001}')
    assert value == {"amount": Decimal("0.1"), "cents": 10, "big": Decimal("12345678901234567890.000000001")}
    assert isinstance(value["amount"], Decimal) and isinstance(value["cents"], int)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_numbers_are_refused(constant):
    with pytest.raises(ValueError, match="is not a number"):
        parse_exact_json(f'{{"amount": {constant}}}')


@pytest.mark.parametrize(
    "body",
    [
        '{"title": "Zahlung ✓"}'.encode(),
        '{"title": "Zahlung ✓"}'.encode("utf-8-sig"),
        '{"title": "Zahlung ✓"}'.encode("utf-16"),
        '{"title": "Zahlung ✓"}',
    ],
)
def test_bytes_in_any_json_encoding_and_text(body):
    assert parse_exact_json(body) == {"title": "Zahlung ✓"}


@pytest.mark.parametrize("body", [b"", b"{", b'{"a": 1} x', b"\xff\xfe\xfa"])
def test_bad_input_is_a_value_error(body):
    with pytest.raises(ValueError):
        parse_exact_json(body)


def test_absurd_nesting_is_a_recursion_error():
    with pytest.raises(RecursionError):
        parse_exact_json(b"[" * 100_000 + b"]" * 100_000)
