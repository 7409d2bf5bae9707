"""A local order book for one symbol, fed by snapshots and absolute-quantity updates.

Layout, chosen for the hot path: each side is a ``dict`` price -> size plus a sorted ``list`` of
its prices maintained with ``bisect``. Setting the size of an existing level is one dict store;
only new and deleted levels touch the list (a binary search plus a small memmove on a
1,000-level book). Both lists are ascending, so the best bid is ``bid_prices[-1]`` and the best ask
``ask_prices[0]``: O(1). A top-N snapshot is a slice.

Quantities are absolute (the size now at that price); a size of 0 (or below) deletes the level.

Crossed books. After a snapshot the book is never crossed (best bid < best ask):

* an update that would cross is taken as the newest truth, so the *opposite* levels it crosses
  are dropped as stale (a new bid at 101 removes asks at or below 101, and vice versa);
* a crossed snapshot (bad data) loses every level in the overlap on both sides.

``BookSynchronizer`` (the snapshot + stream continuity machine) lives in ``exchanges.book_sync``
and is re-exported here lazily.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, insort
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from exchanges.models import BookState, BookUpdate, OrderBook, OrderBookEntry, Symbol

if TYPE_CHECKING:
    from exchanges.book_sync import BookSynchronizer

__all__ = ["BookSynchronizer", "LocalOrderBook"]

logger = logging.getLogger("exchanges.orderbook")

_tuple_new = tuple.__new__  # builds an OrderBookEntry without NamedTuple's Python-level __new__


class LocalOrderBook:
    """One symbol's book. ``apply_update`` trusts the caller to have checked version continuity."""

    __slots__ = (
        "_ask_prices",
        "_asks",
        "_bid_prices",
        "_bids",
        "last_update_time",
        "resync_count",
        "state",
        "symbol",
        "version",
    )

    def __init__(self, symbol: Symbol) -> None:
        self.symbol = symbol
        self.state = BookState.SYNCING
        self.version: int | None = None
        self.resync_count = 0
        self.last_update_time = 0
        self._bids: dict[float, float] = {}
        self._asks: dict[float, float] = {}
        self._bid_prices: list[float] = []  # ascending; best bid last
        self._ask_prices: list[float] = []  # ascending; best ask first

    # ------------------------------------------------------------------ writes

    def apply_snapshot(
        self,
        bids: Iterable[tuple[float, float]],
        asks: Iterable[tuple[float, float]],
        version: int,
        timestamp: int,
    ) -> None:
        """Replace the whole book; the book becomes LIVE at ``version``."""
        self._bids = {float(price): float(size) for price, size in bids if size > 0}
        self._asks = {float(price): float(size) for price, size in asks if size > 0}
        self._bid_prices = sorted(self._bids)
        self._ask_prices = sorted(self._asks)
        if self._bid_prices and self._ask_prices and self._bid_prices[-1] >= self._ask_prices[0]:
            low, high = self._ask_prices[0], self._bid_prices[-1]
            logger.warning(
                "%s: crossed snapshot (bid %s >= ask %s); dropping the overlap", self.symbol, high, low
            )
            self._drop_bids_from(low)
            self._drop_asks_to(high)
        self.version = version
        self.last_update_time = timestamp
        self.state = BookState.LIVE

    def apply_update(self, update: BookUpdate) -> None:
        """Apply absolute quantities (0 deletes), then uncross if the update crossed the book."""
        bids = self._bids
        prices = self._bid_prices
        for price, size in update.bids:
            if size > 0:
                if price not in bids:
                    insort(prices, price)
                bids[price] = size
            elif bids.pop(price, None) is not None:
                del prices[bisect_left(prices, price)]
        asks = self._asks
        prices = self._ask_prices
        for price, size in update.asks:
            if size > 0:
                if price not in asks:
                    insort(prices, price)
                asks[price] = size
            elif asks.pop(price, None) is not None:
                del prices[bisect_left(prices, price)]
        if self._bid_prices and prices and self._bid_prices[-1] >= prices[0]:
            self._uncross(update)
        self.version = update.last_version
        self.last_update_time = update.timestamp

    def clear(self) -> None:
        """Remove every level (state and version are left to the caller)."""
        self._bids.clear()
        self._asks.clear()
        self._bid_prices.clear()
        self._ask_prices.clear()

    def _uncross(self, update: BookUpdate) -> None:
        new_bids = [price for price, size in update.bids if size > 0]
        if new_bids:
            top = max(new_bids)
            if self._ask_prices and top >= self._ask_prices[0]:
                self._drop_asks_to(top)
        new_asks = [price for price, size in update.asks if size > 0]
        if new_asks and self._bid_prices and self._ask_prices and self._bid_prices[-1] >= self._ask_prices[0]:
            self._drop_bids_from(min(new_asks))

    def _drop_asks_to(self, price: float) -> None:
        """Delete asks priced at or below ``price``."""
        cut = bisect_left(self._ask_prices, price)
        if cut < len(self._ask_prices) and self._ask_prices[cut] == price:
            cut += 1
        for stale in self._ask_prices[:cut]:
            del self._asks[stale]
        del self._ask_prices[:cut]

    def _drop_bids_from(self, price: float) -> None:
        """Delete bids priced at or above ``price``."""
        cut = bisect_left(self._bid_prices, price)
        for stale in self._bid_prices[cut:]:
            del self._bids[stale]
        del self._bid_prices[cut:]

    # ------------------------------------------------------------------ reads

    def best_bid(self) -> OrderBookEntry | None:
        if not self._bid_prices:
            return None
        price = self._bid_prices[-1]
        return _tuple_new(OrderBookEntry, (price, self._bids[price]))

    def best_ask(self) -> OrderBookEntry | None:
        if not self._ask_prices:
            return None
        price = self._ask_prices[0]
        return _tuple_new(OrderBookEntry, (price, self._asks[price]))

    def spread(self) -> float | None:
        if not self._bid_prices or not self._ask_prices:
            return None
        return self._ask_prices[0] - self._bid_prices[-1]

    def mid(self) -> float | None:
        if not self._bid_prices or not self._ask_prices:
            return None
        return (self._ask_prices[0] + self._bid_prices[-1]) / 2.0

    @property
    def bid_depth(self) -> int:
        return len(self._bid_prices)

    @property
    def ask_depth(self) -> int:
        return len(self._ask_prices)

    def bids(self, depth: int | None = None) -> list[tuple[float, float]]:
        """Bid levels best first, as plain tuples (cheaper than entries when only reading)."""
        prices = self._bid_prices if depth is None else self._bid_prices[-depth:] if depth > 0 else []
        book = self._bids
        return [(price, book[price]) for price in reversed(prices)]

    def asks(self, depth: int | None = None) -> list[tuple[float, float]]:
        prices = self._ask_prices if depth is None else self._ask_prices[: max(depth, 0)]
        book = self._asks
        return [(price, book[price]) for price in prices]

    def snapshot(self, depth: int | None = None) -> OrderBook:
        """An immutable copy: bids descending, asks ascending, ``depth`` levels per side (None: all)."""
        bid_prices = self._bid_prices if depth is None else self._bid_prices[-depth:] if depth > 0 else []
        ask_prices = self._ask_prices if depth is None else self._ask_prices[: max(depth, 0)]
        bids = self._bids
        asks = self._asks
        return OrderBook(
            self.symbol,
            tuple([_tuple_new(OrderBookEntry, (price, bids[price])) for price in reversed(bid_prices)]),
            tuple([_tuple_new(OrderBookEntry, (price, asks[price])) for price in ask_prices]),
            self.last_update_time,
            self.version,
        )

    def __repr__(self) -> str:
        return (
            f"<LocalOrderBook {self.symbol} {self.state.value} v={self.version} "
            f"bids={len(self._bid_prices)} asks={len(self._ask_prices)}>"
        )


def __getattr__(name: str) -> Any:
    """Lazy re-export of ``BookSynchronizer`` (``exchanges.book_sync`` imports this module)."""
    if name == "BookSynchronizer":
        from exchanges.book_sync import BookSynchronizer

        return BookSynchronizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
