"""A local order book for one symbol, fed by snapshots and absolute-quantity updates.

Layout, chosen for the hot path and for memory: each side is a ``dict`` price -> size of plain
floats plus a sorted ``list`` of its prices maintained with ``bisect``. No record is kept per level:
:class:`~exchanges.models.OrderBookEntry` records are built only for what a reader asks for (the
cached top N that handlers receive, ``best_bid()``, a full snapshot). Setting the size of an existing
level (the common case: sizes changing near the top) is one dict lookup and one store; only new and
deleted levels touch the list (a binary search plus a small memmove). Both lists are ascending, so
the best bid is ``bid_prices[-1]`` and the best ask ``ask_prices[0]``: O(1). ``apply_update`` reads
the update's decoded ``(price, size)`` lists as they are (no per-level conversion or copy).
Measured in ``bench/bench_orderbook.py`` (docs/performance.md): 38-57 bytes of containers per level
where a record per level cost 102-121, and a 20-level update at 0.5-0.7x the former cost.

Quantities are absolute (the size now at that price); a size of 0 (or below) deletes the level.

Top-N cache. ``snapshot(depth)`` keeps, per side, the tuple of ``OrderBookEntry`` it built for the
last depth asked, plus the price of that side's ``depth``-th level (the *edge*). An update that only
touches levels beyond the edge (a bid below it, an ask above it) cannot change the top ``depth``
levels, so the cached side is reused as is; any change at or inside the edge (or a side with fewer
than ``depth`` levels, a snapshot, an uncross, ``clear``) drops that side's cache. The check costs
one float comparison per updated level. Snapshots are immutable, so sharing a cached tuple between
two snapshots is safe. Other depths (and ``depth=None``) are built fresh, without touching the
cache, except that asking a new depth moves the cache to it.

Crossed books. After a snapshot the book is never crossed (best bid < best ask):

* an update that would cross is taken as the newest truth, so the *opposite* levels it crosses
  are dropped as stale (a new bid at 101 removes asks at or below 101, and vice versa);
* a crossed snapshot (bad data) loses every level in the overlap on both sides.

This is a data structure only: it holds levels and the version and time of the data it holds.
Whether the book can be trusted (SYNCING / LIVE / STALE) is decided and owned by
:class:`exchanges.book_sync.BookSynchronizer`, which feeds it.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from itertools import repeat
from math import inf

from exchanges.models import BookUpdate, OrderBook, OrderBookEntry, Symbol

__all__ = ["LocalOrderBook"]

logger = logging.getLogger("exchanges.orderbook")

_tuple_new = tuple.__new__  # builds a record without NamedTuple's Python-level __new__
_EMPTY: tuple[OrderBookEntry, ...] = ()


def _entries(prices: Sequence[float], sizes: dict[float, float]) -> tuple[OrderBookEntry, ...]:
    """``OrderBookEntry`` records for ``prices`` in that order (the loop runs in C)."""
    return tuple(
        map(_tuple_new, repeat(OrderBookEntry), zip(prices, map(sizes.__getitem__, prices), strict=True))
    )


class LocalOrderBook:
    """One symbol's book. ``apply_update`` trusts the caller to have checked version continuity."""

    __slots__ = (
        "_ask_edge",
        "_ask_prices",
        "_ask_top",
        "_asks",
        "_bid_edge",
        "_bid_prices",
        "_bid_top",
        "_bids",
        "_top_depth",
        "last_update_time",
        "symbol",
        "version",
    )

    def __init__(self, symbol: Symbol) -> None:
        self.symbol = symbol
        self.version: int | None = None
        self.last_update_time = 0
        self._bids: dict[float, float] = {}  # price -> size
        self._asks: dict[float, float] = {}
        self._bid_prices: list[float] = []  # ascending; best bid last
        self._ask_prices: list[float] = []  # ascending; best ask first
        # Top-N cache (see the module docstring). No cache: top None and edge +inf (bids) / -inf
        # (asks), so that no price compares as "inside the edge" and the update loop does nothing.
        self._top_depth = 0
        self._bid_top: tuple[OrderBookEntry, ...] | None = None
        self._ask_top: tuple[OrderBookEntry, ...] | None = None
        self._bid_edge = inf
        self._ask_edge = -inf

    # ------------------------------------------------------------------ writes

    def apply_snapshot(
        self,
        bids: Iterable[tuple[float, float]],
        asks: Iterable[tuple[float, float]],
        version: int,
        timestamp: int,
    ) -> None:
        """Replace the whole book with these levels, at ``version``."""
        self._bids = {float(price): float(size) for price, size in bids if size > 0}
        self._asks = {float(price): float(size) for price, size in asks if size > 0}
        self._bid_prices = sorted(self._bids)
        self._ask_prices = sorted(self._asks)
        self._forget_top()
        if self._bid_prices and self._ask_prices and self._bid_prices[-1] >= self._ask_prices[0]:
            low, high = self._ask_prices[0], self._bid_prices[-1]
            logger.warning(
                "%s: crossed snapshot (bid %s >= ask %s); dropping the overlap", self.symbol, high, low
            )
            self._drop_bids_from(low)
            self._drop_asks_to(high)
        self.version = version
        self.last_update_time = timestamp

    def apply_update(self, update: BookUpdate) -> None:
        """Apply absolute quantities (0 deletes), then uncross if the update crossed the book.

        The common case, a new size at a price already in the book, is one lookup and one store;
        a new price is inserted into the sorted prices, a deleted one removed from them."""
        sizes = self._bids
        prices = self._bid_prices
        edge = self._bid_edge
        touched = False
        for price, size in update.bids:
            if price >= edge:
                touched = True
            if size > 0:
                if price not in sizes:
                    insort(prices, price)
                sizes[price] = size
            elif price in sizes:
                del sizes[price]
                del prices[bisect_left(prices, price)]
        if touched:
            self._bid_top = None
            self._bid_edge = inf
        sizes = self._asks
        prices = self._ask_prices
        edge = self._ask_edge
        touched = False
        for price, size in update.asks:
            if price <= edge:
                touched = True
            if size > 0:
                if price not in sizes:
                    insort(prices, price)
                sizes[price] = size
            elif price in sizes:
                del sizes[price]
                del prices[bisect_left(prices, price)]
        if touched:
            self._ask_top = None
            self._ask_edge = -inf
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
        self._forget_top()

    def _forget_top(self) -> None:
        """Drop the cached top levels of both sides (the next snapshot rebuilds them)."""
        self._bid_top = None
        self._ask_top = None
        self._bid_edge = inf
        self._ask_edge = -inf

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
        self._ask_top = None
        self._ask_edge = -inf

    def _drop_bids_from(self, price: float) -> None:
        """Delete bids priced at or above ``price``."""
        cut = bisect_left(self._bid_prices, price)
        for stale in self._bid_prices[cut:]:
            del self._bids[stale]
        del self._bid_prices[cut:]
        self._bid_top = None
        self._bid_edge = inf

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
        """Bid levels best first, as plain ``(price, size)`` tuples (cheaper than entries to build)."""
        prices = self._bid_prices[:] if depth is None else self._bid_prices[-depth:] if depth > 0 else []
        prices.reverse()
        return list(zip(prices, map(self._bids.__getitem__, prices), strict=True))

    def asks(self, depth: int | None = None) -> list[tuple[float, float]]:
        """Ask levels best first, as plain ``(price, size)`` tuples."""
        prices = self._ask_prices if depth is None else self._ask_prices[: max(depth, 0)]
        return list(zip(prices, map(self._asks.__getitem__, prices), strict=True))

    def snapshot(self, depth: int | None = None) -> OrderBook:
        """An immutable copy: bids descending, asks ascending, ``depth`` levels per side (None: all).

        The top ``depth`` levels of each side are cached between calls (see the module docstring).
        """
        if depth is None or depth <= 0:
            return _tuple_new(
                OrderBook,
                (self.symbol, *self._build(depth), self.last_update_time, self.version),
            )
        if depth != self._top_depth:
            self._top_depth = depth
            self._forget_top()
        bid_top = self._bid_top
        if bid_top is None:
            prices = self._bid_prices
            top = prices[-depth:]
            top.reverse()
            bid_top = self._bid_top = _entries(top, self._bids)
            self._bid_edge = prices[-depth] if len(prices) >= depth else -inf
        ask_top = self._ask_top
        if ask_top is None:
            prices = self._ask_prices
            ask_top = self._ask_top = _entries(prices[:depth], self._asks)
            self._ask_edge = prices[depth - 1] if len(prices) >= depth else inf
        return _tuple_new(OrderBook, (self.symbol, bid_top, ask_top, self.last_update_time, self.version))

    def _build(self, depth: int | None) -> tuple[tuple[OrderBookEntry, ...], tuple[OrderBookEntry, ...]]:
        """Both sides, uncached: every level (None) or none (``depth <= 0``)."""
        if depth is not None:
            return _EMPTY, _EMPTY
        prices = self._bid_prices[::-1]
        return _entries(prices, self._bids), _entries(self._ask_prices, self._asks)

    def __repr__(self) -> str:
        return (
            f"<LocalOrderBook {self.symbol} v={self.version} "
            f"bids={len(self._bid_prices)} asks={len(self._ask_prices)}>"
        )
