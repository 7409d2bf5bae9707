"""Dropping events delivered twice when two connections overlap (rotation) or after a reconnect.

During a rotation the replacement connection is subscribed before the old one closes, and after
a reconnect MEXC may push again what was already seen, so the same trade can arrive twice.

* Trades (``aggre.deals``): keyed by ``tradeId`` when MEXC sends one (since 2026-06), otherwise by
  ``(time, price, quantity, side)``. Keys are remembered per symbol in a bounded window
  (``RecentKeys``): large enough to cover any overlap, small enough to stay O(1) memory.
  Caveat of the fallback key: two genuinely distinct trades with identical time, price, quantity
  and side within one window are reported once.
* Versioned snapshots (book tickers with ``version``): anything not newer than the last seen version
  of that symbol is dropped (:class:`VersionGate`).
* Private fills by trade id and order updates by ``(order id, status, filled quantity)`` use
  ``RecentKeys`` too (see :mod:`exchanges_mexc.ws.private`).
"""

from __future__ import annotations

import collections
from collections.abc import Hashable

from exchanges.models import Symbol, Trade


class RecentKeys:
    """A set that remembers the last ``capacity`` keys (FIFO eviction)."""

    __slots__ = ("_capacity", "_order", "_seen")

    def __init__(self, capacity: int = 8192) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._seen: set[Hashable] = set()
        self._order: collections.deque[Hashable] = collections.deque()

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._seen

    def add(self, key: Hashable) -> bool:
        """Remember ``key``; False when it was already known (a duplicate)."""
        if key in self._seen:
            return False
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > self._capacity:
            self._seen.discard(self._order.popleft())
        return True


def trade_key(trade: Trade) -> Hashable:
    """``tradeId`` when present, else ``(time, price, quantity, side)``."""
    if trade.trade_id:
        return trade.trade_id
    return (trade.timestamp, trade.price, trade.quantity, trade.side)


class TradeDeduper:
    """Per-symbol windows of recently delivered trade keys."""

    __slots__ = ("_capacity", "_windows", "duplicates")

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._windows: dict[Symbol, RecentKeys] = {}
        self.duplicates = 0

    def is_new(self, trade: Trade) -> bool:
        window = self._windows.get(trade.symbol)
        if window is None:
            window = self._windows[trade.symbol] = RecentKeys(self._capacity)
        if window.add(trade_key(trade)):
            return True
        self.duplicates += 1
        return False

    def forget(self, symbol: Symbol) -> None:
        self._windows.pop(symbol, None)


class VersionGate:
    """Passes a versioned event only if its version is newer than the last passed one per key."""

    __slots__ = ("_last", "stale")

    def __init__(self) -> None:
        self._last: dict[Hashable, int] = {}
        self.stale = 0

    def is_new(self, key: Hashable, version: int | None) -> bool:
        if version is None:
            return True
        last = self._last.get(key)
        if last is not None and version <= last:
            self.stale += 1
            return False
        self._last[key] = version
        return True

    def reset(self, key: Hashable) -> None:
        self._last.pop(key, None)
