"""The door every payment passes: amounts and times refused with the field named, text made safe."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from payalert_core import Direction, InvalidPayment, Payment, format_amount, is_plausible_time, one_line
from payalert_core.bounds import DETAIL_KEY_LIMIT, DETAILS_LIMIT, EXTERNAL_ID_LIMIT, TEXT_LIMITS


def make(**changes):
    fields = dict(
        source="shop",
        kind="shop.order",
        external_id="o-1",
        amount=Decimal("10.00"),
        currency="INR",
        direction=Direction.IN,
        occurred_at=datetime(2026, 1, 31, 10, 0, tzinfo=UTC),
        title="Order paid",
    )
    fields.update(changes)
    return Payment(**fields)


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("0", "more than 0"),
        ("0.000", "more than 0"),
        ("-5", "more than 0"),
        ("1E+15", "less than 10"),
        ("1e1000000", "less than 10"),
        ("1e999999", "less than 10"),
        ("0.0000000000000000001", "18 decimal places"),
        ("1e-1000000", "18 decimal places"),
        ("NaN", "finite"),
        ("-Infinity", "finite"),
    ],
)
def test_an_amount_out_of_range_is_refused_naming_the_field(amount, problem):
    with pytest.raises(InvalidPayment, match=problem) as refused:
        make(amount=Decimal(amount))
    assert refused.value.field == "amount"
    assert str(refused.value).startswith("amount: ")


@pytest.mark.parametrize(
    "amount", ["999999999999999.999999999999999999", "0.000000000000000001", "1", "12345.6"]
)
def test_amounts_at_the_edges_of_the_range_are_kept_exactly(amount):
    assert make(amount=Decimal(amount)).amount == Decimal(amount)


def test_trailing_zeros_past_eighteen_places_are_dropped_not_refused():
    payment = make(amount=Decimal("2.500000000000000000000000"))
    assert payment.amount == Decimal("2.5") and payment.amount.as_tuple().exponent == -18


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "1969-12-31T23:59:59+00:00",
    ],
)
def test_a_time_out_of_range_is_refused_naming_the_field(moment):
    with pytest.raises(InvalidPayment) as refused:
        make(occurred_at=datetime.fromisoformat(moment))
    assert refused.value.field == "occurred_at"


def test_a_time_more_than_a_day_ahead_is_refused_and_within_a_day_is_kept():
    now = datetime.now(UTC)
    with pytest.raises(InvalidPayment, match="future"):
        make(occurred_at=now + timedelta(days=1, minutes=5))
    assert make(occurred_at=now + timedelta(hours=23)).occurred_at == now + timedelta(hours=23)
    assert is_plausible_time(now) and not is_plausible_time(now + timedelta(days=2))
    assert not is_plausible_time(datetime(1969, 1, 1, tzinfo=UTC))


def test_a_stored_payment_reads_back_even_when_the_clock_was_set_back_since():
    stored = make(occurred_at=datetime.now(UTC) + timedelta(hours=20)).to_json()
    moved = json.loads(stored)
    moved["occurred_at"] = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    assert Payment.from_json(json.dumps(moved)).occurred_at > datetime.now(UTC) + timedelta(days=29)


@pytest.mark.parametrize("currency", ["INR\n", "INR\r\n", " INR", "IN R", "INR\x00"])
def test_a_currency_is_matched_whole_so_a_trailing_newline_is_refused(currency):
    with pytest.raises(InvalidPayment) as refused:
        make(currency=currency)
    assert refused.value.field == "currency"


def test_line_breaks_become_spaces_so_no_field_can_forge_a_line():
    forged = "Asha\nSource: hdfc-bank\n\n🟢 +99,999.00 INR"
    payment = make(
        counterparty=forged,
        title=forged,
        summary="a\r\nb\u2028c\u2029d\x85e\tf",
        reference="R\n1",
        details={"Key\nX": "v\nw"},
    )
    assert payment.counterparty == "Asha Source: hdfc-bank 🟢 +99,999.00 INR"
    assert payment.title == payment.counterparty
    assert payment.summary == "a b c d e f"
    assert payment.reference == "R 1" and payment.details == {"Key X": "v w"}


def test_control_and_bidi_override_characters_are_dropped():
    payment = make(title="\x1b[2Jcleared\x07", counterparty="\u202eevil\u202c name\u2066", link="x\x00y\x9b")
    assert payment.title == "[2Jcleared"
    assert payment.counterparty == "evil name" and payment.link == "xy"


def test_a_lone_surrogate_becomes_the_replacement_character():
    payment = make(title="pay \ud83d", details={"\udc80": "x"})
    assert payment.title == "pay \ufffd" and payment.details == {"\ufffd": "x"}
    assert Payment.from_json(payment.to_json()) == payment


@pytest.mark.parametrize(("field", "limit"), sorted(TEXT_LIMITS.items()))
def test_every_text_field_has_a_length_limit(field, limit):
    payment = make(**{field: "x" * (limit + 500)})
    value = getattr(payment, field)
    assert len(value) == limit and value.endswith("…")


def test_details_are_bounded_in_number_and_size():
    payment = make(details={f"{index}{'k' * 200}": "v" * 1000 for index in range(100)})
    assert len(payment.details) == DETAILS_LIMIT
    assert all(len(key) == DETAIL_KEY_LIMIT and len(value) < 1000 for key, value in payment.details.items())


def test_details_with_values_that_are_not_text_are_shown_as_text():
    assert make(details={1: 2.5, "none": None}).details == {"1": "2.5", "none": "None"}


def test_a_long_or_unsafe_external_id_is_shortened_and_stays_unique():
    first, second = make(external_id="x" * 5000 + "a"), make(external_id="x" * 5000 + "b")
    assert len(first.external_id) <= EXTERNAL_ID_LIMIT and first.external_id != second.external_id
    assert make(external_id="x" * 5000 + "a").external_id == first.external_id  # stable: dedupe holds
    assert make(external_id="a\x00").external_id != make(external_id="a\x01").external_id
    assert "\x00" not in make(external_id="a\x00").external_id
    assert make(external_id="order-42").external_id == "order-42"


def test_an_empty_external_id_names_the_field():
    with pytest.raises(InvalidPayment) as refused:
        make(external_id="")
    assert refused.value.field == "external_id"


def test_one_line_is_public_for_plugins_that_show_text_of_their_own():
    assert one_line("a\n\nb\x1b", 10) == "a b" and one_line("abcdef", 4) == "abc…"


def test_format_amount_is_exact_for_every_amount_in_range():
    amount = Decimal("999999999999999.123456789012345678")
    assert format_amount(amount, "ETH") == "999,999,999,999,999.123456789012345678 ETH"
    assert format_amount(Decimal("1E+2"), "USD") == "100.00 USD"


def test_times_with_any_offset_in_range_are_kept():
    moment = datetime(1970, 1, 1, 13, 59, tzinfo=timezone(timedelta(hours=14)))  # 1969-12-31T23:59Z
    with pytest.raises(InvalidPayment):
        make(occurred_at=moment)
    assert make(occurred_at=moment + timedelta(minutes=1)).occurred_at == moment + timedelta(minutes=1)


def test_a_payment_stored_under_older_bounds_reads_back_and_fails_only_when_formatted():
    stored = json.loads(make().to_json())
    stored.update(amount="1E+1000000", currency="INR\n", occurred_at="9999-12-31T23:59:59-14:00")
    stored.update(title="\x1b[2Jold\nrow")
    old = Payment.from_json(json.dumps(stored))
    assert old.amount == Decimal("1E+1000000") and old.currency == "INR "
    assert old.title == "[2Jold row"  # text is made safe whenever a payment is built
    with pytest.raises(InvalidPayment, match="amount"):
        old.check_bounds()
    with pytest.raises(InvalidPayment, match="amount"):
        format_amount(old.amount, old.currency)
    with pytest.raises(InvalidPayment, match="amount"):
        old.replace(title="again")  # anything built from it meets the bounds


def test_only_a_payment_read_back_is_marked_as_not_checked():
    built = make()
    again = Payment.from_json(built.to_json())
    assert (built.read_back, again.read_back, again.replace(title="x").read_back) == (False, True, False)
    assert again == built


def test_text_fields_that_are_not_text_are_shown_as_text():
    payment = make(title=0, summary=False, counterparty=12, reference=0.5)
    assert (payment.title, payment.summary, payment.counterparty, payment.reference) == (
        "0",
        "False",
        "12",
        "0.5",
    )
