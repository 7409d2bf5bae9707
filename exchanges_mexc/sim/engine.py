"""Matching engine: price-time priority per symbol, Decimal balances (free/locked), fees, events.

Order types: LIMIT, LIMIT_MAKER (rejected with 30041 if it would cross), IMMEDIATE_OR_CANCEL,
FILL_OR_KILL (canceled untouched unless fully fillable), MARKET by ``quantity`` or ``quoteOrderQty``.
Funds are locked at placement (quote for buys, base for sells) and released when an order ends.
Fees are charged in the received asset at the maker/taker rate and moved to the fee pot.
Listeners (WS pushes) get book level changes, public trades, private deals and order updates.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import NamedTuple

from exchanges.models import OrderRequest, Side
from exchanges_mexc.sim.accounts import AccountStore, SimAccount
from exchanges_mexc.sim.book import ZERO, Order, OrderBook
from exchanges_mexc.sim.errors import SimError
from exchanges_mexc.sim.history import PublicTrade, SymbolHistory
from exchanges_mexc.sim.rules import LIMIT_LIKE, pair_of, validate
from exchanges_mexc.sim.specs import SymbolSpec

MAX_OPEN_ORDERS = 500
TRADE_ID_BASE = 505979017439002624
"""Trade numbers start here so ids look like MEXC's (18 digits, ``"<n>X0_<n>X0"``)."""


class PrivateDeal(NamedTuple):
    """One side of a trade, as the private deals stream and myTrades show it."""

    uid: int
    symbol: str
    price: Decimal
    qty: Decimal
    amount: Decimal
    side: str
    is_maker: bool
    is_self_trade: bool
    trade_id: str
    client_order_id: str
    order_id: str
    fee: Decimal
    fee_asset: str
    time: int


class EngineListener:
    """Receives engine events; override what you need (all are no-ops here)."""

    def on_level(self, symbol: str, side: str, price: Decimal, qty: Decimal, version: int) -> None:
        """A book level changed to absolute ``qty`` (0 = gone); the book is now at ``version``."""

    def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        """A public trade happened."""

    def on_deal(self, deal: PrivateDeal) -> None:
        """One account's side of a trade."""

    def on_order(self, order: Order) -> None:
        """An order was placed, filled (partly) or canceled."""


def _placed(order: Order) -> int:
    """Placement order: order ids are ``C02__`` plus an increasing number."""
    return int(order.order_id[5:])


def unknown_order() -> SimError:
    """MEXC's answer for an order that does not exist (or is not open, for cancels)."""
    return SimError(-2011, "Unknown order sent.")


class MatchingEngine:
    """All books, orders and fills of the simulator."""

    def __init__(
        self,
        specs: Iterable[SymbolSpec],
        accounts: AccountStore,
        clock: Callable[[], int] | None = None,
        id_seed: int = 0,
    ) -> None:
        self.clock = clock or (lambda: int(time.time() * 1000))
        self.accounts = accounts
        self.specs: dict[str, SymbolSpec] = {}
        self.books: dict[str, OrderBook] = {}
        self.history: dict[str, SymbolHistory] = {}
        self.listeners: list[EngineListener] = []
        self.unlimited_uids: set[int] = set()  # market maker: no open-order cap, no history kept
        self._orders: dict[int, dict[str, Order]] = {}
        self._open: dict[int, dict[str, dict[str, Order]]] = {}  # uid -> symbol -> id -> open order
        self._open_count: dict[int, int] = {}
        self._client_ids: dict[int, dict[str, str]] = {}
        self._deals: dict[int, list[PrivateDeal]] = {}
        self._ids = itertools.count(505_979_017_439_002_624_000 + id_seed * 1_000_000_000)
        self._trade_ids = itertools.count(1)
        for spec in specs:
            self.add_symbol(spec)

    # -- setup ----------------------------------------------------------------------------------
    def add_symbol(self, spec: SymbolSpec) -> None:
        """List a symbol (book + history)."""
        self.specs[spec.symbol] = spec
        self.books[spec.symbol] = OrderBook(spec.symbol, self._on_level)
        self.history[spec.symbol] = SymbolHistory(spec.symbol)

    def spec(self, symbol: str) -> SymbolSpec:
        """Spec of a listed symbol or SimError 30014."""
        spec = self.specs.get(symbol.upper())
        if spec is None:
            raise SimError(30014, "invalid symbol")
        return spec

    def _on_level(self, symbol: str, side: str, price: Decimal, qty: Decimal, version: int) -> None:
        for listener in self.listeners:
            listener.on_level(symbol, side, price, qty, version)

    def _emit_order(self, order: Order) -> None:
        for listener in self.listeners:
            listener.on_order(order)

    # -- queries --------------------------------------------------------------------------------
    def ref_price(self, symbol: str) -> Decimal | None:
        """Last trade price, else book mid, else None."""
        hist = self.history[symbol]
        if hist.last_price is not None:
            return hist.last_price
        book = self.books[symbol]
        bid, ask = book.best("BUY"), book.best("SELL")
        if bid is not None and ask is not None:
            return (bid + ask) / 2
        return bid or ask

    def book_levels(
        self, symbol: str, depth: int | None = None
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]], int]:
        """``(bids, asks, version)`` best first."""
        book = self.books[symbol.upper()]
        return book.levels("BUY", depth), book.levels("SELL", depth), book.version

    @staticmethod
    def _uid(account: SimAccount | int) -> int:
        return account if isinstance(account, int) else account.uid

    def orders_of(self, account: SimAccount | int, symbol: str | None = None) -> list[Order]:
        """Every order of an account (optionally one symbol), oldest first.

        The market maker (:attr:`unlimited_uids`) keeps only its open orders here.
        """
        orders = self._orders.get(self._uid(account), {}).values()
        return [o for o in orders if symbol is None or o.symbol == symbol]

    def open_orders(self, account: SimAccount | int, symbol: str | None = None) -> list[Order]:
        """Open orders of an account (optionally one symbol), oldest first."""
        by_symbol = self._open.get(self._uid(account), {})
        if symbol is not None:
            return list(by_symbol.get(symbol, {}).values())
        return sorted((o for orders in by_symbol.values() for o in orders.values()), key=_placed)

    def balances_of(self, account: SimAccount | int) -> dict[str, tuple[Decimal, Decimal]]:
        """``{asset: (free, locked)}``."""
        return self.accounts.balances(self._uid(account))

    def deals_of(self, account: SimAccount | int, symbol: str | None = None) -> list[PrivateDeal]:
        """Fills of an account, oldest first (none kept for the market maker)."""
        deals = self._deals.get(self._uid(account), [])
        return [d for d in deals if symbol is None or d.symbol == symbol]

    def find_order(self, uid: int, symbol: str, order_id: str | None, client_id: str | None) -> Order:
        """Look up by orderId or origClientOrderId (700004 if neither, -2011 if unknown)."""
        if not order_id and not client_id:
            raise SimError(
                700004, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
            )
        orders = self._orders.get(uid, {})
        if not order_id and client_id:
            order_id = self._client_ids.get(uid, {}).get(client_id)
        order = orders.get(order_id or "")
        if order is None or order.symbol != symbol:
            raise unknown_order()
        return order

    # -- placing --------------------------------------------------------------------------------
    def check(self, uid: int, req: OrderRequest) -> SymbolSpec:
        """Every pre-trade rule (symbol, precision, notional, duplicates, open cap)."""
        spec = self.spec(pair_of(req.symbol))
        validate(spec, req, self.ref_price(spec.symbol))
        if req.client_order_id and req.client_order_id in self._client_ids.get(uid, {}):
            raise SimError(33333, "param is error: duplicate newClientOrderId")
        if uid not in self.unlimited_uids and self._open_count.get(uid, 0) >= MAX_OPEN_ORDERS:
            raise SimError(30029, "Cannot exceed the maximum order limit")
        book = self.books[spec.symbol]
        opposite = book.best(req.side.opposite.value)
        if req.order_type.value == "LIMIT_MAKER" and opposite is not None and req.price is not None:
            crosses = req.price >= opposite if req.side is Side.BUY else req.price <= opposite
            if crosses:
                raise SimError(30041, "current order type can not place order")
        if req.order_type.value == "MARKET" and opposite is None:
            raise SimError(30010, "no valid trade price")
        return spec

    def place(self, uid: int, req: OrderRequest) -> Order:
        """Validate, lock funds, match, rest or cancel the remainder; returns the order (final state)."""
        spec = self.check(uid, req)
        book = self.books[spec.symbol]
        now = self.clock()
        order = Order(
            order_id=f"C02__{next(self._ids)}",
            client_order_id=req.client_order_id or "",
            uid=uid,
            symbol=spec.symbol,
            side=req.side.value,
            type=req.order_type.value,
            price=req.price,
            orig_qty=req.quantity,
            orig_quote_qty=req.quote_quantity,
            time=now,
            update_time=now,
        )
        lock_asset, lock_amount = self._lock_needed(book, spec, order)
        fillable = True
        if order.type == "FILL_OR_KILL":
            assert req.quantity is not None
            fillable = self._plan(book, order, req.quantity)[0] >= req.quantity
        if fillable:
            self.accounts.lock(uid, lock_asset, lock_amount, "ENTRUST_PLACE")
            order.locked, order.lock_asset = lock_amount, lock_asset
        self._orders.setdefault(uid, {})[order.order_id] = order
        self._open.setdefault(uid, {}).setdefault(order.symbol, {})[order.order_id] = order
        self._open_count[uid] = self._open_count.get(uid, 0) + 1
        if order.client_order_id:
            self._client_ids.setdefault(uid, {})[order.client_order_id] = order.order_id
        self._emit_order(order)
        if fillable:
            self._match(book, spec, order)
        if order.type == "LIMIT" or order.type == "LIMIT_MAKER":
            if order.remaining > 0:
                order.is_maker = True
                book.add(order)
            return order
        if order.is_open:
            self._finish(order, canceled=not self._quote_done(book, spec, order))
        return order

    def _quote_done(self, book: OrderBook, spec: SymbolSpec, order: Order) -> bool:
        """A quoteOrderQty market order counts as FILLED once the rest cannot buy one more lot."""
        if order.orig_quote_qty is None or order.executed_qty <= 0:
            return False
        best = book.best("SELL" if order.side == "BUY" else "BUY")
        return best is not None and self._taker_qty(spec, order, best) <= 0

    def _lock_needed(self, book: OrderBook, spec: SymbolSpec, order: Order) -> tuple[str, Decimal]:
        if order.side == "BUY":
            if order.type in LIMIT_LIKE:
                assert order.price is not None
                assert order.orig_qty is not None
                return spec.quote, order.price * order.orig_qty
            if order.orig_quote_qty is not None:
                return spec.quote, order.orig_quote_qty
            assert order.orig_qty is not None
            return spec.quote, self._plan(book, order, order.orig_qty)[1]
        if order.orig_qty is not None:
            return spec.base, order.orig_qty
        assert order.orig_quote_qty is not None
        return spec.base, self._plan_sell_for_quote(book, spec, order.orig_quote_qty)

    def _acceptable(self, order: Order, price: Decimal) -> bool:
        if order.price is None or order.type == "MARKET":
            return True
        return price <= order.price if order.side == "BUY" else price >= order.price

    def _plan(self, book: OrderBook, order: Order, qty: Decimal) -> tuple[Decimal, Decimal]:
        """(fillable qty up to ``qty``, its quote cost) against the current book."""
        opp = "SELL" if order.side == "BUY" else "BUY"
        got, cost = ZERO, ZERO
        for price in book.prices(opp):
            if got >= qty or not self._acceptable(order, price):
                break
            take = min(book.level_qty(opp, price), qty - got)
            got += take
            cost += take * price
        return got, cost

    def _plan_sell_for_quote(self, book: OrderBook, spec: SymbolSpec, quote: Decimal) -> Decimal:
        need, base = quote, ZERO
        for price in book.prices("BUY"):
            if need <= 0:
                break
            take = min(book.level_qty("BUY", price), (need / price).quantize(spec.lot, ROUND_UP))
            base += take
            need -= take * price
        return base

    def _taker_qty(self, spec: SymbolSpec, order: Order, price: Decimal) -> Decimal:
        if order.orig_qty is not None:
            return order.remaining
        assert order.orig_quote_qty is not None
        left = order.orig_quote_qty - order.cum_quote
        if order.side == "BUY":
            return (left / price).quantize(spec.lot, ROUND_DOWN)
        return (left / price).quantize(spec.lot, ROUND_UP).min(order.locked)

    def _match(self, book: OrderBook, spec: SymbolSpec, taker: Order) -> None:
        opp = "SELL" if taker.side == "BUY" else "BUY"
        while True:
            best = book.best(opp)
            if best is None or not self._acceptable(taker, best):
                return
            want = self._taker_qty(spec, taker, best)
            if want <= 0:
                return
            maker = book.queue(opp, best)[0]
            self._trade(book, spec, taker, maker, best, min(want, maker.remaining))

    def _trade(
        self, book: OrderBook, spec: SymbolSpec, taker: Order, maker: Order, price: Decimal, qty: Decimal
    ) -> None:
        now = self.clock()
        quote = price * qty
        buyer, seller = (taker, maker) if taker.side == "BUY" else (maker, taker)
        acc = self.accounts
        acc.spend_locked(buyer.uid, spec.quote, quote)
        buyer.locked -= quote
        acc.spend_locked(seller.uid, spec.base, qty)
        seller.locked -= qty
        maker_rate, taker_rate = Decimal(spec.maker_commission), Decimal(spec.taker_commission)
        fee_buy = qty * (maker_rate if buyer is maker else taker_rate)
        fee_sell = quote * (maker_rate if seller is maker else taker_rate)
        acc.credit(buyer.uid, spec.base, qty - fee_buy)
        acc.credit(seller.uid, spec.quote, quote - fee_sell)
        acc.collect_fee(spec.base, fee_buy)
        acc.collect_fee(spec.quote, fee_sell)
        for order in (maker, taker):
            order.executed_qty += qty
            order.cum_quote += quote
            order.last_fill_qty = qty
            order.update_time = now
            order.status = "PARTIALLY_FILLED"
        book.reduce(maker, qty)
        trade_seq = next(self._trade_ids)
        trade_num = TRADE_ID_BASE + trade_seq
        trade_id = f"{trade_num}X0_{trade_num}X0"  # MEXC's pair form, compared as a string
        trade = PublicTrade(price, qty, now, taker.side, trade_id)
        self.history[spec.symbol].record(trade)
        self_trade = buyer.uid == seller.uid
        for order, fee, fee_asset in ((buyer, fee_buy, spec.base), (seller, fee_sell, spec.quote)):
            deal = PrivateDeal(
                order.uid,
                spec.symbol,
                price,
                qty,
                quote,
                order.side,
                order is maker,
                self_trade,
                trade_id,
                order.client_order_id,
                order.order_id,
                fee,
                fee_asset,
                now,
            )
            if order.uid not in self.unlimited_uids:
                self._deals.setdefault(order.uid, []).append(deal)
            for listener in self.listeners:
                listener.on_deal(deal)
        for listener in self.listeners:
            listener.on_trade(spec.symbol, trade)
        if maker.remaining <= 0:
            self._finish(maker, canceled=False)
        else:
            self._emit_order(maker)
        if taker.orig_qty is not None and taker.remaining <= 0:
            self._finish(taker, canceled=False)
        else:
            self._emit_order(taker)

    def _finish(self, order: Order, *, canceled: bool) -> None:
        """End an order: status, release leftover lock, emit."""
        if canceled:
            order.status = "PARTIALLY_CANCELED" if order.executed_qty > 0 else "CANCELED"
        else:
            order.status = "FILLED"
        order.update_time = self.clock()
        if order.locked > 0:
            self.accounts.unlock(order.uid, order.lock_asset, order.locked, "ENTRUST_CANCEL")
            order.locked = ZERO
        uid = order.uid
        del self._open[uid][order.symbol][order.order_id]
        self._open_count[uid] -= 1
        if uid in self.unlimited_uids:
            del self._orders[uid][order.order_id]
        self._emit_order(order)

    # -- canceling ------------------------------------------------------------------------------
    def cancel(self, uid: int, symbol: str, order_id: str | None, client_id: str | None) -> Order:
        """Cancel one open order (-2011 if unknown or already done)."""
        spec = self.spec(symbol)
        order = self.find_order(uid, spec.symbol, order_id, client_id)
        if not order.is_open:
            raise unknown_order()
        self.books[spec.symbol].remove(order)
        self._finish(order, canceled=True)
        return order

    def cancel_all(self, uid: int, symbol: str) -> list[Order]:
        """Cancel every open order of ``uid`` on ``symbol``."""
        spec = self.spec(symbol)
        done = []
        for order in self.open_orders(uid, spec.symbol):
            self.books[spec.symbol].remove(order)
            self._finish(order, canceled=True)
            done.append(order)
        return done
