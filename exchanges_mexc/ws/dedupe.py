"""Dropping events delivered twice when two connections overlap (rotation) or after a reconnect.

During a rotation the replacement connection is subscribed before the old one closes, and after
a reconnect MEXC may push again what was already seen, so the same trade can arrive twice.

* Trades (``aggre.deals``): keyed by ``tradeId`` when MEXC sends one (since 2026-06), otherwise by
  ``(time, price, quantity, side)``. Keys are remembered per symbol in a bounded window
  (:class:`KeyGenerations`, at least ``capacity`` and at most ``2 * capacity`` recent keys): large
  enough to cover any overlap, small enough to stay O(1) memory. The hot path checks one frame's
  trades at once (:meth:`TradeDeduper.filter_new`): a frame none of whose keys were seen (the steady
  state) costs two ``set.isdisjoint`` and one ``set.update``, all in C; only a frame that repeats a
  key goes trade by trade. Trades of one frame are never duplicates of each other (they come from
  one push of one socket), so they are not compared with each other.
  Caveat of the fallback key: two genuinely distinct trades with identical time, price, quantity
  and side in two different frames of one window are reported once.
* Versioned snapshots (book tickers with ``version``): anything not newer than the last seen version
  of that symbol is dropped (:class:`VersionGate`).
* Private fills by trade id and order updates by ``(order id, status, filled quantity)`` use
  :class:`KeyGenerations` too (see :mod:`exchanges_mexc.ws.reconcile`).
"""

from __future__ import annotations

from collections.abc import Hashable

from exchanges.models import Symbol, Trade


class KeyGenerations:
    """A set of recent keys in two generations: remembers at least the last ``capacity`` keys.

    New keys go into the current generation; when it holds ``capacity`` keys it becomes the
    previous one (the older previous generation is forgotten at once). Cheaper than a FIFO of
    single keys: no per-key eviction, and whole batches are checked and added with set operations.
    """

    __slots__ = ("_capacity", "_current", "_previous")

    def __init__(self, capacity: int = 4096) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._current: set[Hashable] = set()
        self._previous: set[Hashable] = set()

    def add(self, key: Hashable) -> bool:
        """Remember ``key``; False when it was already known (a duplicate)."""
        if key in self._current or key in self._previous:
            return False
        self._current.add(key)
        if len(self._current) >= self._capacity:
            self._previous, self._current = self._current, set()
        return True

    def add_new_batch(self, keys: list[Hashable]) -> bool:
        """Remember all ``keys`` and return True if none was known; False (nothing added) otherwise."""
        current = self._current
        if not current.isdisjoint(keys) or not self._previous.isdisjoint(keys):
            return False
        current.update(keys)
        if len(current) >= self._capacity:
            self._previous, self._current = current, set()
        return True


def trade_key(trade: Trade) -> Hashable:
    """``tradeId`` when present, else ``(time, price, quantity, side)``."""
    if trade.trade_id:
        return trade.trade_id
    return (trade.timestamp, trade.price, trade.quantity, trade.side)


class TradeDeduper:
    """Per-symbol windows of recently delivered trade keys (duplicates are counted by the caller)."""

    __slots__ = ("_capacity", "_windows")

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._windows: dict[Symbol, KeyGenerations] = {}

    def _window(self, symbol: Symbol) -> KeyGenerations:
        window = self._windows.get(symbol)
        if window is None:
            window = self._windows[symbol] = KeyGenerations(self._capacity)
        return window

    def remember(self, trades: list[Trade]) -> None:
        """Record trades as seen without checking them (seeding, see ``PublicRouter``)."""
        for trade in trades:
            self._window(trade.symbol).add(trade_key(trade))

    def filter_new(self, trades: list[Trade]) -> list[Trade]:
        """The trades of one frame (one symbol) that were not seen before, in order (hot path).

        ``trades`` must share one symbol: the decoder builds them from one MEXC push, which carries
        one symbol. Returns ``trades`` itself when all are new.
        """
        window = self._window(trades[0].symbol)
        keys = list(map(trade_key, trades))
        if window.add_new_batch(keys):
            return trades
        add = window.add
        return [trade for trade, key in zip(trades, keys, strict=True) if add(key)]


class VersionGate:
    """Passes a versioned event only if its version is newer than the last passed one per key."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[Hashable, int] = {}

    def is_new(self, key: Hashable, version: int | None) -> bool:
        if version is None:
            return True
        last = self._last.get(key)
        if last is not None and version <= last:
            return False
        self._last[key] = version
        return True
