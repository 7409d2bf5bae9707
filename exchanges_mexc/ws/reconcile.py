"""Private stream state and its REST reconciliation after a reconnect.

A user stream that was down missed pushes. After every reconnect the private client asks REST for
the truth and delivers what it had not delivered, **each fill and order change exactly once**:

* fills: ``get_my_trades(symbol, start_time=<last seen fill time of that symbol>)`` for every symbol
  of interest (paged by time; MEXC returns at most 100 per call), de-duplicated by trade id;
* orders: ``get_all_orders(symbol, start_time=<gap start - GAP_MARGIN_MS>)`` per symbol (the
  orders placed during the gap, including those that were opened and finished entirely inside it:
  their pushes were lost with the socket), ``get_open_orders(symbol)`` per symbol, ``get_order`` for
  every order we still believed open that is no longer listed (it filled or was cancelled
  meanwhile), and ``get_order`` for the order of every missed fill still unknown; de-duplicated by
  ``(order id, status, filled quantity)``, and an update older than the state we hold (less filled,
  or open after final) is never delivered nor stored; delivered oldest change first;
* balances: ``get_balances()`` compared with the last known balances; each change is delivered as
  a :class:`~exchanges.models.BalanceUpdate` with reason ``"RECONCILE"``.

Symbols of interest: those given to the client, those it was asked to track, and every symbol
seen in a pushed order or fill. (MEXC cannot list fills without a symbol: fills of a symbol never
seen and never tracked cannot be recovered; track it.)
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple, Protocol

from exchanges.errors import OrderNotFound
from exchanges.models import (
    AssetBalance,
    AssetName,
    BalanceUpdate,
    Fill,
    Order,
    OrderId,
    OrderStatus,
    Symbol,
)
from exchanges.order_table import OrderTable
from exchanges_mexc.composite.paging import DAY_MS, MAX_ORDER_HISTORY_MS, iter_windows
from exchanges_mexc.ws.dedupe import KeyGenerations

logger = logging.getLogger("exchanges.mexc.ws.reconcile")

TRADES_PAGE = 100
"""MEXC myTrades maximum ``limit``."""

MAX_PAGES = 50
ORDERS_PAGE = 1000
"""MEXC allOrders maximum ``limit``."""

GAP_MARGIN_MS = 60_000
"""How far before the gap's start (the last frame heard) the order history is asked from: covers
pushes still in flight when the socket died and the skew between our clock and MEXC's."""
"""Upper bound of myTrades pages per symbol and reconciliation (5,000 fills)."""

_RANK = {OrderStatus.NEW: 0, OrderStatus.PARTIALLY_FILLED: 1}


class PrivateRest(Protocol):
    """The REST calls reconciliation needs (``MexcPrivateSpotRest`` provides them)."""

    async def get_open_orders(self, symbol: Symbol) -> list[Order]: ...

    async def get_all_orders(
        self, symbol: Symbol, start_time: int | None = None, end_time: int | None = None, limit: int = 500
    ) -> list[Order]: ...

    async def get_balances(self) -> dict[AssetName, AssetBalance]: ...

    async def get_my_trades(
        self,
        symbol: Symbol,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 100,
    ) -> list[Fill]: ...

    async def get_order(
        self, symbol: Symbol, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order: ...


class ReconcileResult(NamedTuple):
    """What reconciliation found that the stream had not delivered (in delivery order)."""

    fills: list[Fill]
    orders: list[Order]
    balances: list[BalanceUpdate]


def _rank(status: OrderStatus) -> int:
    return _RANK.get(status, 2)


def is_older(candidate: Order, current: Order) -> bool:
    """True when ``candidate`` describes an earlier state of the order than ``current``."""
    if candidate.filled_quantity != current.filled_quantity:
        return candidate.filled_quantity < current.filled_quantity
    return _rank(candidate.status) < _rank(current.status)


def order_key(order: Order) -> tuple[str, str, Decimal]:
    return (order.order_id, order.status.value, order.filled_quantity)


class PrivateState:
    """Orders, balances and delivered-event keys of one private stream."""

    def __init__(self, symbols: Iterable[Symbol] = (), *, window: int = 100_000) -> None:
        self.orders: OrderTable = OrderTable()
        """Latest known state of every order seen (stream or REST), by order id; every open order and
        the 10,000 most recently finished ones are kept."""
        self.balances: dict[AssetName, AssetBalance] = {}
        self.symbols: set[Symbol] = set(symbols)
        self.last_fill_time: dict[Symbol, int] = {}
        self._fills = KeyGenerations(window)  # at least the last ``window`` keys of each
        self._orders = KeyGenerations(window)

    def accept_fill(self, fill: Fill, *, force: bool = False) -> bool:
        """Record a fill; False if it was delivered before (``force`` skips that check once)."""
        if not self._fills.add(fill.trade_id) and not force:
            return False
        self.symbols.add(fill.symbol)
        if fill.timestamp > self.last_fill_time.get(fill.symbol, 0):
            self.last_fill_time[fill.symbol] = fill.timestamp
        return True

    def accept_order(self, order: Order, *, force: bool = False) -> bool:
        """Record an order state; False for a duplicate or for a state older than the one held."""
        self.symbols.add(order.symbol)
        current = self.orders.get(order.order_id)
        if current is not None and is_older(order, current):
            return False
        if not self._orders.add(order_key(order)) and not force:
            return False
        self.orders[order.order_id] = order
        return True

    def mark_seen(self, fills: Iterable[Fill] = (), orders: Iterable[Order] = ()) -> None:
        """Baseline: remember without delivering (what existed before the stream started)."""
        for fill in fills:
            self.accept_fill(fill)
        for order in orders:
            self.accept_order(order)

    def apply_balance(self, update: BalanceUpdate) -> None:
        self.balances[update.balance.asset] = update.balance

    def balance_changes(self, fresh: dict[AssetName, AssetBalance], now: int) -> list[BalanceUpdate]:
        """Updates for every asset whose balance differs from the known one; the known set is replaced."""
        updates = []
        for asset in sorted(set(fresh) | set(self.balances)):
            new = fresh.get(asset) or AssetBalance(asset, Decimal(0), Decimal(0))
            old = self.balances.get(asset) or AssetBalance(asset, Decimal(0), Decimal(0))
            if (new.free, new.locked) != (old.free, old.locked):
                updates.append(
                    BalanceUpdate(new, new.free - old.free, new.locked - old.locked, "RECONCILE", now)
                )
        self.balances = dict(fresh)
        return updates


async def fetch_fills_since(rest: PrivateRest, symbol: Symbol, since: int | None) -> list[Fill]:
    """Fills of ``symbol`` from ``since`` (inclusive; None: the most recent page), oldest first.

    A full page (100) is followed up both backwards (up to its oldest fill) and forwards (from its
    newest), so this works whether the server returns the first or the last 100 of a window.
    """
    fills: dict[str, Fill] = {}
    windows: collections.deque[tuple[int | None, int | None]] = collections.deque([(since, None)])
    pages = 0
    while windows and pages < MAX_PAGES:
        start, end = windows.popleft()
        page = await rest.get_my_trades(symbol, start_time=start, end_time=end, limit=TRADES_PAGE)
        pages += 1
        new = [fill for fill in page if fill.trade_id not in fills]
        for fill in new:
            fills[fill.trade_id] = fill
        if len(page) < TRADES_PAGE or not new:
            continue
        oldest = min(fill.timestamp for fill in page)
        newest = max(fill.timestamp for fill in page)
        if start is None or oldest > start:
            windows.append((start, oldest))
        if end is None or newest < end:
            windows.append((newest, end))
    if windows:
        logger.warning("%s: more than %d pages of missed fills; some may be missing", symbol, MAX_PAGES)
    return sorted(fills.values(), key=lambda fill: (fill.timestamp, fill.trade_id))


async def baseline(rest: PrivateRest, state: PrivateState, symbols: Iterable[Symbol]) -> None:
    """Mark what exists now as already known, for ``symbols`` (silently; nothing is delivered)."""
    for symbol in symbols:
        state.symbols.add(symbol)
        fills = await rest.get_my_trades(symbol, limit=TRADES_PAGE)
        state.mark_seen(fills=fills)
        state.mark_seen(orders=await rest.get_open_orders(symbol))


async def baseline_balances(rest: PrivateRest, state: PrivateState) -> None:
    state.balances = dict(await rest.get_balances())


async def fetch_orders_since(rest: PrivateRest, symbol: Symbol, since: int, now: int) -> list[Order]:
    """Orders of ``symbol`` placed from ``since - GAP_MARGIN_MS`` on (MEXC answers at most the last 7
    days), in their latest state, oldest first; a window that comes back full is split and asked
    again, so none is cut off by the 1,000-order limit."""
    start = max(since - GAP_MARGIN_MS, now - MAX_ORDER_HISTORY_MS + 1)
    end = now + GAP_MARGIN_MS  # our clock may be behind MEXC's

    async def page(lo: int, hi: int) -> list[Order]:
        return await rest.get_all_orders(symbol, lo, hi, ORDERS_PAGE)

    return [
        order
        async for order in iter_windows(
            page,
            start,
            end,
            limit=ORDERS_PAGE,
            window_ms=DAY_MS,
            key=lambda order: order.order_id,
            timestamp=lambda order: order.timestamp,
        )
    ]


def oldest_change_first(orders: list[Order]) -> list[Order]:
    """Orders by the time of each order's first listed change; the successive states of one order
    stay together and in the order they were accepted (so the newest state is delivered last)."""
    first: dict[OrderId, int] = {}
    for order in orders:
        changed = order.update_time if order.update_time is not None else order.timestamp
        first.setdefault(order.order_id, changed)
    return sorted(orders, key=lambda order: first[order.order_id])


async def reconcile(rest: PrivateRest, state: PrivateState, *, since: int | None = None) -> ReconcileResult:
    """Fetch the REST truth and return (and record) what the stream missed.

    ``since`` (epoch ms): when the gap began (the last frame heard before it); the order history of
    every symbol of interest is read from shortly before it, so an order that was opened and
    finished inside the gap still gets its final state delivered. None: open orders only.
    """
    fills: list[Fill] = []
    orders: list[Order] = []
    listed: set[OrderId] = set()
    now = int(time.time() * 1000)
    for symbol in sorted(state.symbols, key=str):
        for fill in await fetch_fills_since(rest, symbol, state.last_fill_time.get(symbol)):
            if state.accept_fill(fill):
                fills.append(fill)
        if since is not None:
            for order in await fetch_orders_since(rest, symbol, since, now):
                if state.accept_order(order):
                    orders.append(order)
        for order in await rest.get_open_orders(symbol):
            listed.add(order.order_id)
            if state.accept_order(order):
                orders.append(order)
    vanished = [
        (order.symbol, order.order_id)
        for order in state.orders.values()
        if order.status.is_open and order.order_id not in listed and order.symbol in state.symbols
    ]
    unknown = {(fill.symbol, fill.order_id) for fill in fills if fill.order_id not in state.orders}
    for symbol, order_id in [*vanished, *sorted(unknown - set(vanished), key=str)]:
        try:
            final = await rest.get_order(symbol, order_id)
        except OrderNotFound:
            logger.warning("order %s is unknown to MEXC; keeping its last known state", order_id)
            continue
        if state.accept_order(final):
            orders.append(final)
    balances = state.balance_changes(dict(await rest.get_balances()), int(time.time() * 1000))
    fills.sort(key=lambda fill: (fill.timestamp, fill.trade_id))
    return ReconcileResult(fills, oldest_change_first(orders), balances)
