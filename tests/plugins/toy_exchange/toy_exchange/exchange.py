"""In-memory public and private exchanges that honour the framework contract (no network)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import attrs

from exchanges.config import Credentials, ExchangeConfig
from exchanges.errors import ExchangeClosedError, InvalidOrder, OrderNotFound, SymbolNotSupported
from exchanges.handlers import PrivateStreamHandlers, PublicStreamHandlers
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import (
    AssetBalance,
    AssetName,
    BookState,
    BookTicker,
    Kline,
    KlineInterval,
    Order,
    OrderBook,
    OrderBookEntry,
    OrderId,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    SymbolInfo,
    Ticker,
    Trade,
)
from toy_exchange.settings import ToySettings

LISTED = (Symbol("BTC", "USDT"), Symbol("ETH", "USDT"))
MID = {LISTED[0]: 50000.0, LISTED[1]: 3000.0}


def _now() -> int:
    return int(time.time() * 1000)


def _infos() -> dict[Symbol, SymbolInfo]:
    return {s: SymbolInfo(symbol=s, base_precision=6, quote_precision=2) for s in LISTED}


def _check(symbol: Symbol) -> None:
    if symbol not in MID:
        raise SymbolNotSupported(f"unknown symbol {symbol}", exchange="toy")


class ToyExchange(PublicExchange):
    """Market data from a fixed in-memory book; streams emit synthetic events every few ms."""

    name = "toy"

    def __init__(self, config: ExchangeConfig, symbols: Sequence[Symbol] = ()) -> None:
        self.config = config
        self.symbols = tuple(symbols)
        self.initialized = False
        self.closed = 0
        self._books: set[Symbol] = set()
        self._trades: asyncio.Queue[Trade] = asyncio.Queue(maxsize=100)
        self._tickers: asyncio.Queue[Ticker] = asyncio.Queue(maxsize=100)
        self._tasks: list[asyncio.Task[None]] = []

    async def initialize(self) -> None:
        if self.config.settings_of(ToySettings).fail_initialize:
            raise RuntimeError("toy initialize failed on purpose")
        self.initialized = True

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._books.clear()
        self.closed += 1

    def get_performance_metrics(self) -> dict[str, Any]:
        return {"requests": 0}

    async def health_check(self) -> dict[str, bool]:
        return {"rest": True, "overall": True}

    async def get_symbols_info(self) -> dict[Symbol, SymbolInfo]:
        return _infos()

    def _book(self, symbol: Symbol, depth: int = 5) -> OrderBook:
        _check(symbol)
        mid = MID[symbol]
        bids = tuple(OrderBookEntry(mid - 1.0 - i, 1.0 + i) for i in range(depth))
        asks = tuple(OrderBookEntry(mid + 1.0 + i, 1.0 + i) for i in range(depth))
        return OrderBook(symbol, bids, asks, _now(), 1)

    async def get_orderbook(self, symbol: Symbol, limit: int = 100) -> OrderBook:
        return self._book(symbol, min(limit, 5))

    async def get_recent_trades(self, symbol: Symbol, limit: int = 500) -> list[Trade]:
        _check(symbol)
        now = _now()
        return [Trade(symbol, MID[symbol], 0.5, Side.BUY, now - 10 + i, str(i)) for i in range(min(limit, 3))]

    async def get_ticker(self, symbol: Symbol) -> Ticker:
        if self.closed:
            raise ExchangeClosedError("toy exchange is closed", exchange="toy")
        _check(symbol)
        mid = MID[symbol]
        return Ticker(symbol, mid, mid * 1.01, mid * 0.99, 10.0, mid * 10, 0.001, _now())

    async def get_book_ticker(self, symbol: Symbol) -> BookTicker:
        _check(symbol)
        mid = MID[symbol]
        return BookTicker(symbol, mid - 1.0, 1.0, mid + 1.0, 1.0, _now())

    async def get_klines(
        self,
        symbol: Symbol,
        interval: KlineInterval,
        limit: int = 500,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[Kline]:
        _check(symbol)
        mid, base = MID[symbol], _now() - 60_000 * 3
        return [
            Kline(
                symbol,
                interval,
                base + i * 60_000,
                base + (i + 1) * 60_000 - 1,
                mid,
                mid + 2,
                mid - 2,
                mid + 1,
                1,
                mid,
            )
            for i in range(min(limit, 3))
        ]

    async def get_server_time(self) -> int:
        return _now()

    async def ping(self) -> bool:
        return True

    # streams
    async def start_orderbook_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        for symbol in symbols:
            _check(symbol)
        self._books.update(symbols)

    async def stop_orderbook_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        self._books.difference_update(self._books if symbols is None else symbols)

    def get_local_orderbook(self, symbol: Symbol, depth: int | None = None) -> OrderBook:
        if symbol not in self._books:
            raise SymbolNotSupported(f"{symbol} is not streamed", exchange="toy")
        return self._book(symbol, depth or 5)

    def orderbook_state(self, symbol: Symbol) -> BookState:
        return BookState.LIVE if symbol in self._books else BookState.STALE

    async def wait_orderbook_ready(self, symbols: Sequence[Symbol], timeout: float) -> None:  # noqa: ASYNC109
        """The toy's books are LIVE as soon as they are streamed."""
        missing = [symbol for symbol in symbols if symbol not in self._books]
        if missing:
            raise KeyError(f"not streamed: {missing}")

    async def iter_orderbooks(self) -> AsyncIterator[OrderBook]:
        while self._books:
            for symbol in list(self._books):
                yield self._book(symbol)
            await asyncio.sleep(0.01)

    async def _pump(self, symbols: Sequence[Symbol]) -> None:
        for n in itertools.count():
            for symbol in symbols:
                trade = Trade(symbol, MID[symbol], 0.1, Side.SELL, _now(), str(n))
                ticker = await self.get_ticker(symbol)
                for queue, item in ((self._trades, trade), (self._tickers, ticker)):
                    if not queue.full():
                        queue.put_nowait(item)  # type: ignore[arg-type]
            await asyncio.sleep(0.005)

    async def start_trades_stream(
        self, symbols: Sequence[Symbol], handlers: PublicStreamHandlers | None = None
    ) -> None:
        for symbol in symbols:
            _check(symbol)
        self._tasks.append(asyncio.create_task(self._pump(list(symbols))))

    async def stop_trades_stream(self, symbols: Sequence[Symbol] | None = None) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def iter_trades(self) -> AsyncIterator[Trade]:
        while True:
            yield await self._trades.get()

    start_ticker_stream = start_trades_stream
    stop_ticker_stream = stop_trades_stream

    async def iter_tickers(self) -> AsyncIterator[Ticker]:
        while True:
            yield await self._tickers.get()


class ToyPrivateExchange(PrivateExchange):
    """An in-memory account: orders rest forever unless canceled; balances are fixed."""

    name = "toy"

    def __init__(self, config: ExchangeConfig, credentials: Credentials) -> None:
        self.config = config
        self.credentials = credentials
        self._orders: dict[str, Order] = {}
        self._ids = itertools.count(1)
        self._balances = {AssetName("USDT"): AssetBalance(AssetName("USDT"), Decimal("1000"))}
        self.streaming = False
        self.is_closed = False

    async def close(self) -> None:
        self.streaming = False
        self.is_closed = True

    def get_performance_metrics(self) -> dict[str, Any]:
        return {}

    async def health_check(self) -> dict[str, bool]:
        return {"overall": True}

    async def get_symbols_info(self) -> dict[Symbol, SymbolInfo]:
        if self.is_closed:
            raise ExchangeClosedError("toy exchange is closed", exchange="toy")
        return _infos()

    async def get_balances(self) -> dict[AssetName, AssetBalance]:
        return dict(self._balances)

    async def get_asset_balance(self, asset: AssetName) -> AssetBalance:
        return self._balances.get(asset, AssetBalance(asset, Decimal(0)))

    async def place_limit_order(
        self,
        symbol: Symbol,
        side: Side,
        quantity: Any,
        price: Any,
        *,
        order_type: OrderType = OrderType.LIMIT,
        client_order_id: str | None = None,
    ) -> Order:
        _check(symbol)
        order = Order(
            symbol=symbol,
            order_id=OrderId(str(next(self._ids))),
            side=side,
            order_type=order_type,
            status=OrderStatus.NEW,
            quantity=Decimal(str(quantity)),
            price=Decimal(str(price)),
            client_order_id=client_order_id,
            timestamp=_now(),
        )
        self._orders[order.order_id] = order
        return order

    async def place_market_order(
        self,
        symbol: Symbol,
        side: Side,
        quantity: Any = None,
        *,
        quote_quantity: Any = None,
        client_order_id: str | None = None,
    ) -> Order:
        raise InvalidOrder("toy exchange has no market orders", exchange="toy")

    def _find(self, symbol: Symbol, order_id: str) -> Order:
        order = self._orders.get(order_id)
        if order is None or order.symbol != symbol:
            raise OrderNotFound(f"unknown order {order_id}", exchange="toy")
        return order

    async def cancel_order(self, symbol: Symbol, order_id: str) -> Order:
        order = self._find(symbol, order_id)
        if not order.status.is_open:
            raise OrderNotFound(f"order {order_id} is not open", exchange="toy")
        canceled = attrs.evolve(order, status=OrderStatus.CANCELED)
        self._orders[order_id] = canceled
        return canceled

    async def cancel_all_orders(self, symbol: Symbol) -> list[Order]:
        return [await self.cancel_order(symbol, o.order_id) for o in await self.get_open_orders(symbol)]

    async def get_open_orders(self, symbol: Symbol | None = None) -> list[Order]:
        return [o for o in self._orders.values() if o.status.is_open and symbol in (None, o.symbol)]

    async def get_order_status(self, symbol: Symbol, order_id: str) -> Order:
        return self._find(symbol, order_id)

    async def get_order_history(
        self, symbol: Symbol, start_time: int | None = None, end_time: int | None = None, limit: int = 500
    ) -> list[Order]:
        return [o for o in self._orders.values() if o.symbol == symbol][:limit]

    async def get_my_trades(
        self, symbol: Symbol, start_time: int | None = None, end_time: int | None = None, limit: int = 100
    ) -> list[Any]:
        return []

    async def start_user_stream(self, handlers: PrivateStreamHandlers | None = None) -> None:
        self.streaming = True

    async def stop_user_stream(self) -> None:
        self.streaming = False
