"""Every hook is called through pluggy: implementations take any subset of the arguments, and a
wrapper either works or is refused when the plugins load."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from datetime import timedelta

import pytest

from payalert_core import (
    PolledSource,
    PolledSourceConfig,
    PushSource,
    Source,
    SourceConfig,
    StreamSource,
    StreamSourceConfig,
    UserError,
    hookimpl,
)
from payalert_core.plugins import EXTRA_ENV, get_plugin_manager


def plugin_module(monkeypatch: pytest.MonkeyPatch, name: str, **functions: Callable[..., object]) -> None:
    """An importable module ``name`` holding ``functions``, loaded through ``PAYALERT_EXTRA_PLUGINS``."""
    module = types.ModuleType(name)
    for function_name, function in functions.items():
        setattr(module, function_name, function)
    monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setenv(EXTRA_ENV, name)


class ShopSource(PushSource):
    type_name = "shop"


def test_a_registration_wrapper_wraps_the_other_implementations(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    @hookimpl(wrapper=True)
    def payalert_register_sources(register):
        seen.append("before")
        register(ShopSource)
        result = yield
        seen.append("after")
        return result

    plugin_module(monkeypatch, "wrapping_plugin", payalert_register_sources=payalert_register_sources)
    plugins = get_plugin_manager()
    assert plugins.sources["shop"] is ShopSource
    assert "webhook" in plugins.sources  # the wrapped built-in still registered its source
    assert seen == ["before", "after"]


def test_a_registration_hook_may_take_none_of_the_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[bool] = []

    @hookimpl
    def payalert_register_notifiers():
        called.append(True)

    plugin_module(monkeypatch, "argless_plugin", payalert_register_notifiers=payalert_register_notifiers)
    plugins = get_plugin_manager()
    assert called == [True]
    assert "console" in plugins.notifiers


@pytest.mark.parametrize("style", ["wrapper", "hookwrapper"])
def test_a_wrapper_of_process_payment_is_refused_when_plugins_load(
    monkeypatch: pytest.MonkeyPatch, style: str
) -> None:
    @hookimpl(**{style: True})
    def payalert_process_payment(payment):
        return (yield)

    plugin_module(monkeypatch, "chain_wrapper", payalert_process_payment=payalert_process_payment)
    with pytest.raises(UserError, match="'chain_wrapper': payalert_process_payment cannot be a wrapper"):
        get_plugin_manager()


def test_a_source_class_of_no_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Kindless(Source):
        type_name = "kindless"

    @hookimpl
    def payalert_register_sources(register):
        register(Kindless)

    plugin_module(monkeypatch, "kindless_plugin", payalert_register_sources=payalert_register_sources)
    with pytest.raises(UserError, match="Kindless is none of the kinds: subclass PolledSource"):
        get_plugin_manager()


def test_each_kind_of_source_says_what_it_is_and_when_it_is_stale() -> None:
    polled = PolledSourceConfig(type="x", interval=timedelta(seconds=10))
    assert (PolledSource.kind, PolledSource.stale_after(polled)) == ("polled", 30.0)
    assert (PushSource.kind, PushSource.stale_after(SourceConfig(type="x"))) == ("push", None)
    assert StreamSource.kind == "stream"
    assert StreamSource.stale_after(StreamSourceConfig(type="x")) is None
    assert StreamSource.stale_after(StreamSourceConfig(type="x", stale_after=timedelta(minutes=2))) == 120.0
