"""payalert-binance: Binance deposits, P2P orders and Binance Pay as payalert alerts."""

from __future__ import annotations

from .config import BinanceConfig
from .source import BinanceSource

__all__ = ["BinanceConfig", "BinanceSource"]
__version__ = "0.1.0"
