"""Every open order without a symbol, although MEXC's ``GET /api/v3/openOrders`` needs one.

The candidate symbols are: every symbol this instance has seen an order, fill or question about, plus
every listed symbol whose base or quote asset has a *locked* balance (an open order locks its funds:
a BUY locks the quote asset, a SELL the base asset). The cost is one ``GET /api/v3/account`` (weight
10) plus one ``openOrders`` request (weight 3) per candidate symbol; with USDT locked that is every
listed ``*/USDT`` pair, so a bot that knows its symbols should pass them instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from exchanges.models import AssetBalance, AssetName, Order, Symbol
from exchanges_mexc.rest.private import MexcPrivateSpotRest

logger = logging.getLogger("exchanges.mexc.exchange.private")

MAX_CANDIDATES_WARNING = 50
"""Above this many candidate symbols the composite logs a warning about the request cost."""


def open_order_candidates(
    balances: Mapping[AssetName, AssetBalance], listed: Iterable[Symbol], tracked: Iterable[Symbol]
) -> list[Symbol]:
    """Symbols that may hold an open order (sorted, each once): tracked ones plus listed symbols with a
    locked base (SELL) or quote (BUY) asset."""
    locked = {asset for asset, balance in balances.items() if balance.locked > 0}
    chosen = set(tracked)
    if locked:
        chosen.update(s for s in listed if s.base in locked or s.quote in locked)
    return sorted(chosen, key=str)


async def all_open_orders(rest: MexcPrivateSpotRest, tracked: Iterable[Symbol]) -> list[Order]:
    """Every open order of the account: ``openOrders`` for each candidate symbol, in symbol order."""
    balances = await rest.get_account()
    candidates = open_order_candidates(balances, await rest.get_symbols_info(), tracked)
    if len(candidates) > MAX_CANDIDATES_WARNING:
        logger.warning(
            "get_open_orders() without a symbol asks %d symbols (locked balances); pass a symbol to save "
            "requests",
            len(candidates),
        )
    result: list[Order] = []
    for candidate in candidates:
        result.extend(await rest.get_open_orders(candidate))
    return result
