"""Block-explorer links for the common deposit networks, and short transaction ids."""

from __future__ import annotations

import re
from urllib.parse import quote

#: Binance network name -> transaction URL template.
EXPLORERS: dict[str, str] = {
    "BTC": "https://mempool.space/tx/{tx}",
    "ETH": "https://etherscan.io/tx/{tx}",
    "BSC": "https://bscscan.com/tx/{tx}",
    "TRX": "https://tronscan.org/#/transaction/{tx}",
    "SOL": "https://solscan.io/tx/{tx}",
    "MATIC": "https://polygonscan.com/tx/{tx}",
    "POLYGON": "https://polygonscan.com/tx/{tx}",
    "ARBITRUM": "https://arbiscan.io/tx/{tx}",
    "OPTIMISM": "https://optimistic.etherscan.io/tx/{tx}",
    "BASE": "https://basescan.org/tx/{tx}",
    "AVAXC": "https://snowtrace.io/tx/{tx}",
    "LTC": "https://blockchair.com/litecoin/transaction/{tx}",
    "DOGE": "https://blockchair.com/dogecoin/transaction/{tx}",
    "XRP": "https://livenet.xrpl.org/transactions/{tx}",
    "TON": "https://tonviewer.com/transaction/{tx}",
}
# A real chain hash: no spaces (internal transfers read "Internal transfer 123...").
_CHAIN_TX = re.compile(r"^(0x)?[0-9A-Za-z_=+/-]{16,}$")


def explorer_link(network: str | None, tx_id: str | None) -> str | None:
    """A link to ``tx_id`` on a public explorer for ``network``, or None when unknown."""
    if not network or not tx_id:
        return None
    template = EXPLORERS.get(network.upper())
    if template is None or not _CHAIN_TX.match(tx_id):
        return None
    return template.format(tx=quote(tx_id, safe=""))


def short_tx(tx_id: str) -> str:
    """``0xaad465…328b09f3``: the start and end of a long transaction id."""
    if len(tx_id) <= 20:
        return tx_id
    return f"{tx_id[:8]}…{tx_id[-8:]}"
