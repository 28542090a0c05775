"""Properties of payload handling: mutated real GitHub payloads give a Payment or a clean rejection."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payalert_github.body import InvalidBody, UnsupportedContentType, decode_body
from payalert_github.source import loggable
from payalert_github.sponsorship import PayloadError, sponsorship_payment
from payalert_testing import corpus_path
from payalert_testing.fuzzing import fuzz_settings, value_paths

from payalert_core import Direction, Payment

FUZZ = fuzz_settings(300)
RECEIVED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
#: Number tokens as a sender could write them; decode_body turns them into int or Decimal.
NUMBER_TOKENS = [
    "0",
    "-1",
    "500",
    "-500",
    "1e100",
    "1E+400",
    "1e-400",
    "-0.0",
    "0.5",
    "499.999",
    "10000000000000000000000000000000000000000",
    "123456789012345678901234567890.123456789",
    "5E+2",
    "true",
    "null",
]


def _load(folder: Path, pattern: str) -> dict[str, Any]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob(pattern))}


@pytest.fixture(scope="module")
def corpus() -> dict[str, Any]:
    """Every sponsorship and ping payload of the shared corpus, by file name."""
    folder = corpus_path("github")
    payloads = Originals({**_load(folder, "sponsorship.*.json"), **_load(folder, "ping*.json")})
    assert len(payloads) >= 8
    return payloads


def _set(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return root


def _delete(root: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return root
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return root


_NUMBERS = st.sampled_from([f"__number_{index}__" for index in range(len(NUMBER_TOKENS))]) | st.integers()
_SCALARS = (
    st.none()
    | st.booleans()
    | st.text(max_size=30)
    | st.sampled_from(
        ["created", "cancelled", "edited", "tier_changed", "pending_cancellation", "pending_tier_change"]
    )
    | st.sampled_from(["private", "public", "2019-12-20T19:24:46Z", "2019-12-20", "Z", "https://x", ""])
)
#: Replacement values: numbers half of the time (prices are where money is read), else any JSON.
_VALUES = _NUMBERS | st.recursive(
    _SCALARS | _NUMBERS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


#: Where a sponsorship payload carries meaning: mutated more often than the rest.
HOT_PATHS = [
    ("action",),
    ("sponsorship",),
    ("sponsorship", "tier"),
    ("sponsorship", "tier", "monthly_price_in_cents"),
    ("sponsorship", "tier", "monthly_price_in_dollars"),
    ("sponsorship", "tier", "is_one_time"),
    ("sponsorship", "tier", "is_custom_amount"),
    ("sponsorship", "tier", "name"),
    ("sponsorship", "sponsor"),
    ("sponsorship", "sponsor", "login"),
    ("sponsorship", "sponsor", "html_url"),
    ("sponsorship", "sponsorable"),
    ("sponsorship", "privacy_level"),
    ("sponsorship", "created_at"),
    ("sponsorship", "node_id"),
    ("changes",),
    ("changes", "tier", "from"),
    ("changes", "tier", "from", "monthly_price_in_cents"),
    ("changes", "privacy_level", "from"),
    ("effective_date",),
    ("sender",),
    ("hook",),
    ("hook", "events"),
]


def _exists(root: Any, path: tuple[Any, ...]) -> bool:
    """True when every step of ``path`` is a key of a dict (or an index of a list) on the way."""
    for step in path:
        if (isinstance(root, dict) and step in root) or (
            isinstance(root, list) and isinstance(step, int) and 0 <= step < len(root)
        ):
            root = root[step]
        else:
            return False
    return True


def _settable(root: Any, path: tuple[Any, ...]) -> bool:
    """True when ``path``'s parent exists and is a dict (so the value can be set or added)."""
    if not path or not _exists(root, path[:-1]):
        return not path
    for step in path[:-1]:
        root = root[step]
    return isinstance(root, dict) or (isinstance(root, list) and _exists(root, path[-1:]))


class Originals(dict):
    """The corpus payloads by file name (with a short repr, for hypothesis's reports)."""

    def __repr__(self) -> str:
        return f"<{len(self)} corpus payloads>"


@st.composite
def mutated(draw: Any, originals: dict[str, Any], all_paths: dict[str, list[tuple[Any, ...]]]) -> str:
    """A corpus payload with a few values replaced, deleted or added, as JSON text."""
    name = draw(st.sampled_from(sorted(originals)))
    payload = json.loads(json.dumps(originals[name]))
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        hot = [path for path in HOT_PATHS if _settable(payload, path)]
        anywhere = [p for p in all_paths[name] if p and _exists(payload, p)]
        pool = hot if hot and draw(st.sampled_from(["hot", "hot", "hot", "any"])) == "hot" else anywhere
        path = draw(st.sampled_from(pool or [()]))
        operation = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if operation == "replace" or not _exists(payload, path):
            payload = _set(payload, path, draw(_VALUES))
        elif operation == "delete":
            payload = _delete(payload, path)
        else:
            target = payload
            for step in path:
                target = target[step]
            if isinstance(target, dict):
                target[draw(st.text(max_size=10))] = draw(_VALUES)
            elif isinstance(target, list):
                target.append(draw(_VALUES))
    text = json.dumps(payload, ensure_ascii=draw(st.booleans()))
    for index, token in enumerate(NUMBER_TOKENS):
        text = text.replace(f'"__number_{index}__"', token)
    return text


PRICE_PATHS = [
    ("sponsorship", "tier", "monthly_price_in_cents"),
    ("sponsorship", "tier", "monthly_price_in_dollars"),
    ("changes", "tier", "from", "monthly_price_in_cents"),
    ("changes", "tier", "from", "monthly_price_in_dollars"),
]


@st.composite
def repriced(draw: Any, originals: dict[str, Any]) -> str:
    """A real sponsorship payload whose price fields (where money is read) hold any number or value."""
    names = sorted(name for name in originals if name.startswith("sponsorship."))
    payload = json.loads(json.dumps(originals[draw(st.sampled_from(names))]))
    for path in PRICE_PATHS:
        if _settable(payload, path) and draw(st.booleans()):
            payload = _set(payload, path, draw(_VALUES))
        elif _exists(payload, path) and draw(st.booleans()):
            payload = _delete(payload, path)
    text = json.dumps(payload)
    for index, token in enumerate(NUMBER_TOKENS):
        text = text.replace(f'"__number_{index}__"', token)
    return text


def check_payment(payment: Payment, delivery: str) -> None:
    """What every Payment from this plugin must satisfy."""
    assert payment.external_id == delivery
    assert payment.kind.startswith("github.sponsorship.")
    assert payment.title and payment.occurred_at.tzinfo is not None
    if payment.amount is None:
        assert payment.currency is None and payment.direction is Direction.NONE
    else:
        assert isinstance(payment.amount, Decimal) and payment.amount.is_finite() and payment.amount >= 0
        assert payment.currency == "USD" and payment.direction is Direction.IN
        assert payment.amount == payment.amount.quantize(Decimal("0.01"))
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in payment.details.items())
    json.loads(payment.to_json())  # storable


def test_mutated_corpus_payloads_give_a_payment_or_a_clean_rejection(corpus: dict[str, Any]) -> None:
    outcomes = {"payment": 0, "rejected": 0}

    paths = Originals({name: value_paths(payload) for name, payload in corpus.items()})

    @FUZZ
    @given(text=mutated(corpus, paths) | repriced(corpus), mask=st.booleans())
    def check(text: str, mask: bool) -> None:
        try:
            payload = decode_body(text.encode("utf-8"), "application/json")
        except InvalidBody:
            outcomes["rejected"] += 1
            return
        try:
            payment = sponsorship_payment(payload, "delivery-1", RECEIVED, mask_private=mask)
        except PayloadError:
            outcomes["rejected"] += 1
            return
        outcomes["payment"] += 1
        check_payment(payment, "delivery-1")

    check()
    assert outcomes["payment"] > 0 and outcomes["rejected"] > 0, outcomes


@pytest.mark.parametrize("price", ["10000000000000000000000000000000000000000", "1e100", "1E+400"])
@pytest.mark.parametrize("field", ["monthly_price_in_cents", "monthly_price_in_dollars"])
def test_an_absurd_tier_price_is_a_clean_rejection_or_no_amount(field: str, price: str) -> None:
    text = f'{{"action": "created", "sponsorship": {{"tier": {{"{field}": {price}}}}}}}'
    payload = decode_body(text.encode(), "application/json")
    try:
        payment = sponsorship_payment(payload, "absurd", RECEIVED)
    except PayloadError:
        return
    check_payment(payment, "absurd")


_LOGINS = st.text(alphabet=string.ascii_lowercase, min_size=8, max_size=20).map(lambda s: "zq" + s)


def test_a_masked_private_sponsor_appears_nowhere(corpus: dict[str, Any]) -> None:
    sponsorships = {name: payload for name, payload in corpus.items() if name.startswith("sponsorship.")}

    @FUZZ
    @given(name=st.sampled_from(sorted(sponsorships)), login=_LOGINS)
    def check(name: str, login: str) -> None:
        text = json.dumps(sponsorships[name]).replace("monalisa", login)
        payload = decode_body(text.encode(), "application/json")
        payload["sponsorship"]["privacy_level"] = "private"
        payment = sponsorship_payment(payload, "masked", RECEIVED, mask_private=True)
        assert login not in payment.to_json()
        public = sponsorship_payment(
            {**payload, "sponsorship": {**payload["sponsorship"], "privacy_level": "public"}},
            "m",
            RECEIVED,
            mask_private=True,
        )
        assert public.counterparty == login

    check()


_CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "APPLICATION/JSON; charset=utf-8",
        "",
        "text/plain",
    ]
) | st.text(max_size=40)


@FUZZ
@given(
    body=st.binary(max_size=400)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.integers(min_value=1, max_value=50_000).map(lambda n: b"payload=" + b"%5B" * n),
    content_type=_CONTENT_TYPES,
)
def test_decode_body_answers_a_dict_or_a_clean_rejection(body: bytes, content_type: str) -> None:
    try:
        payload = decode_body(body, content_type)
    except (InvalidBody, UnsupportedContentType):
        return
    assert isinstance(payload, dict)
    assert not any(isinstance(value, float) for value in _leaves(payload))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@FUZZ
@given(value=st.none() | st.text())
def test_loggable_header_values_are_printable_and_bounded(value: str | None) -> None:
    shown = loggable(value)
    assert shown.isprintable() and len(shown) <= 81
