"""The core's side of a source: filters, hooks and the bounds every stored payment meets."""

import json
from datetime import UTC, datetime, timedelta

import pluggy
import pytest

from payalert_core import InvalidPayment, Payment, SourceConfig, hookimpl, hookspecs
from payalert_core.health import HealthRecord
from payalert_core.metrics import Metrics
from payalert_core.runtime import SourceRuntimeImpl, SourceServices
from payalert_core.store import Lane

from .helpers import payment

LANES = [Lane("tg", "chat")]


def runtime(store, *plugins, **config):
    manager = pluggy.PluginManager("payalert")
    manager.add_hookspecs(hookspecs)
    for plugin in plugins:
        manager.register(plugin)
    services = SourceServices.create(store, LANES, manager, Metrics(), lambda: None)
    return SourceRuntimeImpl("shop", SourceConfig(type="webhook", **config), HealthRecord("push"), services)


def stored_long_ago(external_id: str, **changes) -> Payment:
    """A payment as an older payalert may have stored it, read back: outside today's bounds."""
    data = json.loads(payment(external_id).to_json())
    data.update(changes)
    return Payment.from_json(json.dumps(data))


async def test_a_payment_within_the_bounds_is_stored(store):
    result = await runtime(store).ingest([payment("a")])
    assert result.stored == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "1E+1000000"}, "amount"),
        ({"currency": "INR\n"}, "currency"),
        ({"occurred_at": "9999-12-31T23:59:59-14:00"}, "occurred_at"),
    ],
)
async def test_no_source_can_store_a_payment_outside_the_bounds(store, changes, field):
    with pytest.raises(InvalidPayment) as refused:
        await runtime(store).ingest([payment("ok"), stored_long_ago("x", **changes)])
    assert refused.value.field == field
    assert await store.recent_payments(10) == []  # nothing of the batch was stored


async def test_nor_can_a_hook_that_reshapes_payments(store):
    class Poisoner:
        @hookimpl
        def payalert_process_payment(self, payment):
            return stored_long_ago(payment.external_id, amount="1e999999")

    with pytest.raises(InvalidPayment, match="amount"):
        await runtime(store, Poisoner()).ingest([payment("a")])
    assert await store.recent_payments(10) == []


async def test_a_hook_may_take_none_of_the_arguments(store):
    class Vetoer:
        @hookimpl
        def payalert_process_payment(self):
            return False

    class Bystander:
        @hookimpl
        def payalert_process_payment(self):
            return None

    assert (await runtime(store, Bystander()).ingest([payment("a")])).stored == 1
    assert (await runtime(store, Vetoer()).ingest([payment("b")])).filtered == 1


async def test_each_hook_sees_the_payment_the_one_before_returned(store):
    class Titler:
        @hookimpl(tryfirst=True)
        def payalert_process_payment(self, payment):
            return payment.replace(title="first")

    class Checker:
        seen: list[str] = []

        @hookimpl
        def payalert_process_payment(self, payment):
            Checker.seen.append(payment.title)
            return payment.replace(title=payment.title + ", second")

    assert (await runtime(store, Checker(), Titler()).ingest([payment("a")])).stored == 1
    assert Checker.seen == ["first"]
    (stored,) = await store.recent_payments(10)
    assert stored.title == "first, second"


async def test_a_payment_under_min_amount_is_filtered_not_stored(store):
    result = await runtime(store, min_amount={"INR": 100}).ingest([payment("a", amount="99.99")])
    assert (result.stored, result.filtered) == (0, 1)


def test_a_future_time_is_refused_even_through_replace():
    with pytest.raises(InvalidPayment, match="future"):
        payment("a").replace(occurred_at=datetime.now(UTC) + timedelta(days=3))
