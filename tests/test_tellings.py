"""One payment told twice: the first telling alerts, later ones are stored as repeats linked to it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from payalert_core import PaymentMatch
from payalert_core.store import Lane

from .helpers import payment

LANES = [Lane("tg", "chat1")]
AT = datetime(2026, 6, 2, 10, 15, tzinfo=UTC)


def told(
    external_id: str,
    source: str,
    reference: str | None = None,
    fingerprint: str = "4477|2500|INR|credit",
    minutes: float = 0,
    issuer: str = "hdfc",
    window: timedelta = timedelta(minutes=10),
):
    """A payment carrying its match keys, told ``minutes`` after :data:`AT`."""
    match = PaymentMatch(issuer, fingerprint, AT + timedelta(minutes=minutes), reference, window)
    return payment(external_id, source=source).replace(match=match)


async def test_the_same_reference_from_another_source_is_a_repeat_of_the_first(store):
    first = await store.ingest_matching([told("sms:1", "phone", "612345:credit")], LANES, {})
    later = await store.ingest_matching([told("ref:612345", "mail", "612345:credit", minutes=90)], LANES, {})
    assert len(first.new_event_ids) == 1 and not first.repeats
    assert later.new_event_ids == [] and later.duplicates == 0
    assert [tuple(r) for r in later.repeats] == [("mail", "ref:612345", "phone", "sms:1")]
    assert [d.payment.external_id for d in await store.pending(LANES[0])] == ["sms:1"]
    tellings = await store.tellings("mail", "ref:612345")
    assert [(t.source, t.is_repeat) for t in tellings] == [("phone", False), ("mail", True)]
    assert all((t.first_source, t.first_external_id) == ("phone", "sms:1") for t in tellings)


async def test_different_references_are_different_payments_however_alike(store):
    await store.ingest_matching([told("a", "phone", "111:credit")], LANES, {})
    other = await store.ingest_matching([told("b", "mail", "222:credit", minutes=1)], LANES, {})
    assert len(other.new_event_ids) == 1 and not other.repeats


async def test_without_a_common_reference_the_fingerprint_decides_within_the_window(store):
    await store.ingest_matching([told("a", "phone", None)], LANES, {})
    inside = await store.ingest_matching([told("b", "mail", "333:credit", minutes=9)], LANES, {})
    outside = await store.ingest_matching([told("c", "mail", None, minutes=21)], LANES, {})
    other_amount = await store.ingest_matching(
        [told("d", "mail", None, fingerprint="4477|2501|INR|credit", minutes=1)], LANES, {}
    )
    other_issuer = await store.ingest_matching([told("e", "mail", None, issuer="icici")], LANES, {})
    assert len(inside.repeats) == 1 and inside.repeats[0].first_external_id == "a"
    assert [len(r.new_event_ids) for r in (outside, other_amount, other_issuer)] == [1, 1, 1]


async def test_a_redelivered_repeat_is_a_duplicate_and_links_once(store):
    await store.ingest_matching([told("a", "phone", "9:credit")], LANES, {})
    await store.ingest_matching([told("b", "mail", "9:credit")], LANES, {})
    again = await store.ingest_matching([told("b", "mail", "9:credit")], LANES, {})
    first_again = await store.ingest_matching([told("a", "phone", "9:credit")], LANES, {})
    assert (again.duplicates, again.repeats, first_again.duplicates) == (1, (), 1)
    assert len(await store.tellings("phone", "a")) == 2


async def test_two_tellings_arriving_together_alert_once(store):
    results = await asyncio.gather(
        *(store.ingest_matching([told(f"t{n}", f"source{n}", "77:debit")], LANES, {}) for n in range(8))
    )
    assert sum(len(r.new_event_ids) for r in results) == 1
    assert sum(len(r.repeats) for r in results) == 7


async def test_payments_without_a_match_are_stored_as_before(store):
    result = await store.ingest_matching([payment("plain"), told("m", "phone", "5:credit")], LANES, {})
    assert len(result.new_event_ids) == 2
    assert await store.tellings("shop", "plain") == []


async def test_the_tellings_a_new_telling_would_repeat_are_found_by_its_match(store):
    await store.ingest_matching([told("a", "phone", "9:credit")], LANES, {})
    await store.ingest_matching([told("b", "mail", None, minutes=3)], LANES, {})
    found = await store.tellings_of(told("c", "phone", None, minutes=5).match)
    assert [(t.external_id, t.is_repeat) for t in found] == [("a", False), ("b", True)]
    assert await store.tellings_of(told("d", "phone", "10:credit").match) == []
