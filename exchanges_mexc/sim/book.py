"""Orders and the per-symbol price-time priority book, with a version bumped on every level change.

The version is what REST depth returns as ``lastUpdateId`` and what ``aggre.depth`` pushes carry as
``fromVersion``/``toVersion``: one increment per changed price level, so a push covering versions
``a..b`` carries the absolute quantities of the levels changed in that range.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs

ZERO = Decimal(0)
OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})
TIME_IN_FORCE = {"IMMEDIATE_OR_CANCEL": "IOC", "FILL_OR_KILL": "FOK"}


def fmt(value: Decimal | None) -> str:
    """Plain decimal text without exponent or trailing zeros (``"0.0001"``, ``"50"``)."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fixed(value: Decimal | None, places: int) -> str:
    """Decimal text padded to exactly ``places`` decimals, as MEXC pushes prices and quantities
    (``"84270.00"``, ``"0.00638700"``); ``""`` for None."""
    if value is None:
        return ""
    return format(value.quantize(Decimal(1).scaleb(-places)), "f") if places > 0 else format(value, "f")


@attrs.define(eq=False)
class Order:
    """One order; mutable while open. ``locked``/``lock_asset`` track funds still reserved for it."""

    order_id: str
    client_order_id: str
    uid: int
    symbol: str
    side: str
    type: str
    price: Decimal | None
    orig_qty: Decimal | None
    orig_quote_qty: Decimal | None
    time: int
    status: str = "NEW"
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    update_time: int = 0
    locked: Decimal = ZERO
    lock_asset: str = ""
    is_maker: bool = False
    last_fill_qty: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        """Base quantity still open (limit orders)."""
        return (self.orig_qty or ZERO) - self.executed_qty

    @property
    def is_open(self) -> bool:
        """NEW or PARTIALLY_FILLED."""
        return self.status in OPEN_STATUSES

    def to_json(self) -> dict[str, Any]:
        """GET order / openOrders / allOrders item."""
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id or None,
            "price": fmt(self.price) if self.price is not None else "0",
            "origQty": fmt(self.orig_qty) if self.orig_qty is not None else "0",
            "executedQty": fmt(self.executed_qty),
            "cummulativeQuoteQty": fmt(self.cum_quote),
            "status": self.status,
            "timeInForce": TIME_IN_FORCE.get(self.type, "GTC"),
            "type": self.type,
            "side": self.side,
            "stopPrice": "",
            "icebergQty": "",
            "time": self.time,
            "updateTime": self.update_time or self.time,
            "isWorking": True,
            "origQuoteOrderQty": fmt(self.orig_quote_qty) if self.orig_quote_qty is not None else "0",
        }

    def to_cancel_json(self, orig_client_order_id: str | None) -> dict[str, Any]:
        """DELETE order response item."""
        return {
            "symbol": self.symbol,
            "origClientOrderId": orig_client_order_id or self.client_order_id or None,
            "orderId": self.order_id,
            "clientOrderId": self.client_order_id or None,
            "price": fmt(self.price) if self.price is not None else "0",
            "origQty": fmt(self.orig_qty) if self.orig_qty is not None else "0",
            "executedQty": fmt(self.executed_qty),
            "cummulativeQuoteQty": fmt(self.cum_quote),
            "status": self.status,
            "timeInForce": TIME_IN_FORCE.get(self.type, "GTC"),
            "type": self.type,
            "side": self.side,
            "orderListId": -1,
        }


LevelCallback = Callable[[str, str, Decimal, Decimal, int], None]  # symbol, side, price, qty, version


class OrderBook:
    """Resting orders of one symbol. Bids and asks keep ascending price lists plus FIFO queues."""

    def __init__(self, symbol: str, on_level: LevelCallback | None = None) -> None:
        self.symbol = symbol
        self.version = 1
        self._queues: dict[str, dict[Decimal, deque[Order]]] = {"BUY": {}, "SELL": {}}
        self._qty: dict[str, dict[Decimal, Decimal]] = {"BUY": {}, "SELL": {}}
        self._prices: dict[str, list[Decimal]] = {"BUY": [], "SELL": []}
        self.on_level = on_level
        self.last_order_time = 0

    def _bump(self, side: str, price: Decimal) -> None:
        self.version += 1
        if self.on_level is not None:
            self.on_level(self.symbol, side, price, self._qty[side].get(price, ZERO), self.version)

    def add(self, order: Order) -> None:
        """Rest ``order`` at the back of its price level."""
        assert order.price is not None
        side, price = order.side, order.price
        queue = self._queues[side].get(price)
        if queue is None:
            queue = self._queues[side][price] = deque()
            bisect.insort(self._prices[side], price)
            self._qty[side][price] = ZERO
        queue.append(order)
        self._qty[side][price] += order.remaining
        self.last_order_time = order.time
        self._bump(side, price)

    def reduce(self, order: Order, qty: Decimal) -> None:
        """A resting order's open quantity went down by ``qty`` (fill); removes it when done."""
        assert order.price is not None
        self._qty[order.side][order.price] -= qty
        if order.remaining <= 0:
            self._drop(order)
        self._bump(order.side, order.price)

    def remove(self, order: Order) -> None:
        """Take a resting order out (cancel)."""
        assert order.price is not None
        self._qty[order.side][order.price] -= order.remaining
        self._drop(order)
        self._bump(order.side, order.price)

    def _drop(self, order: Order) -> None:
        assert order.price is not None
        side, price = order.side, order.price
        queue = self._queues[side][price]
        queue.remove(order)
        if not queue:
            del self._queues[side][price]
            del self._qty[side][price]
            idx = bisect.bisect_left(self._prices[side], price)
            del self._prices[side][idx]

    def best(self, side: str) -> Decimal | None:
        """Best price of ``side`` (highest bid / lowest ask)."""
        prices = self._prices[side]
        if not prices:
            return None
        return prices[-1] if side == "BUY" else prices[0]

    def top(self) -> tuple[Decimal | None, Decimal, Decimal | None, Decimal]:
        """``(bid, bid_qty, ask, ask_qty)``; an empty side is ``(None, 0)``."""
        bid, ask = self.best("BUY"), self.best("SELL")
        bid_qty = self._qty["BUY"][bid] if bid is not None else ZERO
        ask_qty = self._qty["SELL"][ask] if ask is not None else ZERO
        return bid, bid_qty, ask, ask_qty

    def level_qty(self, side: str, price: Decimal) -> Decimal:
        """Total open quantity at one level (0 if none)."""
        return self._qty[side].get(price, ZERO)

    def prices(self, side: str) -> Iterator[Decimal]:
        """Prices of ``side`` best first."""
        prices = self._prices[side]
        return reversed(prices) if side == "BUY" else iter(prices)

    def queue(self, side: str, price: Decimal) -> deque[Order]:
        """FIFO queue of one level."""
        return self._queues[side][price]

    def levels(self, side: str, depth: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """``[(price, qty)]`` best first, at most ``depth``."""
        out: list[tuple[Decimal, Decimal]] = []
        qty = self._qty[side]
        for price in self.prices(side):
            if depth is not None and len(out) >= depth:
                break
            out.append((price, qty[price]))
        return out

    def orders(self) -> Iterator[Order]:
        """Every resting order."""
        for side in ("BUY", "SELL"):
            for queue in self._queues[side].values():
                yield from queue
