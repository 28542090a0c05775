"""Entry point of the ``payalert`` group: registers the ``binance`` source."""

from __future__ import annotations

from collections.abc import Callable

from payalert_core import Source, hookimpl

from .source import BinanceSource


@hookimpl
def payalert_register_sources(register: Callable[[type[Source]], None]) -> None:
    """Register :class:`BinanceSource` as ``type: binance``."""
    register(BinanceSource)
