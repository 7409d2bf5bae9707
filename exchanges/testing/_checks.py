"""Assertion helpers that check returned records against the model contract (exchange-neutral)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from decimal import Decimal

from exchanges.models import (
    AssetBalance,
    BookTicker,
    Order,
    OrderBook,
    OrderBookEntry,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    SymbolInfo,
    Ticker,
    Trade,
)
from exchanges.testing._contract import expect


def _positive_float(value: object, what: str) -> None:
    assert isinstance(value, float), f"{what} must be a float, got {type(value).__name__}"
    assert math.isfinite(value), f"{what} must be finite, got {value!r}"
    assert value > 0, f"{what} must be positive, got {value!r}"


def assert_valid_orderbook(book: object, symbol: Symbol) -> OrderBook:
    """An OrderBook of ``symbol``: float levels, bids descending, asks ascending, not crossed."""
    assert isinstance(book, OrderBook), f"expected OrderBook, got {type(book).__name__}"
    assert book.symbol == symbol, f"book is for {book.symbol}, expected {symbol}"
    assert isinstance(book.timestamp, int), "timestamp must be int milliseconds"
    for side_name, levels in (("bid", book.bids), ("ask", book.asks)):
        assert isinstance(levels, tuple), f"{side_name}s must be a tuple"
        for level in levels:
            assert isinstance(level, OrderBookEntry), f"{side_name} level must be OrderBookEntry"
            _positive_float(level.price, f"{side_name} price")
            _positive_float(level.size, f"{side_name} size")
    bid_prices = [level.price for level in book.bids]
    ask_prices = [level.price for level in book.asks]
    assert bid_prices == sorted(bid_prices, reverse=True), "bids must be sorted best (highest) first"
    assert ask_prices == sorted(ask_prices), "asks must be sorted best (lowest) first"
    assert len(set(bid_prices)) == len(bid_prices), "duplicate bid price levels"
    assert len(set(ask_prices)) == len(ask_prices), "duplicate ask price levels"
    if book.bids and book.asks:
        assert book.bids[0].price < book.asks[0].price, "book is crossed (best bid >= best ask)"
    return book


def assert_valid_trades(trades: object, symbol: Symbol) -> list[Trade]:
    """A list of Trade of ``symbol``, newest last."""
    assert isinstance(trades, list), f"expected list, got {type(trades).__name__}"
    for trade in trades:
        assert isinstance(trade, Trade), f"expected Trade, got {type(trade).__name__}"
        assert trade.symbol == symbol, f"trade is for {trade.symbol}, expected {symbol}"
        _positive_float(trade.price, "trade price")
        _positive_float(trade.quantity, "trade quantity")
        assert isinstance(trade.side, Side), f"Trade.side must be a Side, got {trade.side!r}"
        assert isinstance(trade.timestamp, int), (
            f"Trade.timestamp must be int milliseconds, got {trade.timestamp!r}"
        )
    times = [trade.timestamp for trade in trades]
    assert times == sorted(times), "trades must be ordered oldest first, newest last"
    return trades


def assert_valid_ticker(ticker: object, symbol: Symbol) -> Ticker:
    assert isinstance(ticker, Ticker), f"expected Ticker, got {type(ticker).__name__}"
    assert ticker.symbol == symbol, f"ticker is for {ticker.symbol}, expected {symbol}"
    for name in ("last_price", "high", "low", "volume", "quote_volume", "price_change_ratio"):
        assert isinstance(getattr(ticker, name), float), f"Ticker.{name} must be a float"
    assert ticker.low <= ticker.high, "ticker low above high"
    assert isinstance(ticker.timestamp, int), (
        f"Ticker.timestamp must be int milliseconds, got {ticker.timestamp!r}"
    )
    return ticker


def assert_valid_book_ticker(ticker: object, symbol: Symbol) -> BookTicker:
    assert isinstance(ticker, BookTicker), f"expected BookTicker, got {type(ticker).__name__}"
    assert ticker.symbol == symbol, f"book ticker is for {ticker.symbol}, expected {symbol}"
    for name in ("bid_price", "bid_quantity", "ask_price", "ask_quantity"):
        assert isinstance(getattr(ticker, name), float), f"BookTicker.{name} must be a float"
    if ticker.bid_price > 0 and ticker.ask_price > 0:
        assert ticker.bid_price < ticker.ask_price, "book ticker is crossed"
    return ticker


def assert_valid_symbols_info(infos: object, symbol: Symbol) -> dict[Symbol, SymbolInfo]:
    """A dict Symbol -> SymbolInfo that includes ``symbol`` and whose keys match the values."""
    assert isinstance(infos, dict), f"expected dict, got {type(infos).__name__}"
    assert symbol in infos, f"{symbol} missing from get_symbols_info()"
    for key, info in infos.items():
        expect(
            isinstance(key, Symbol) and isinstance(info, SymbolInfo),
            (
                "get_symbols_info must map Symbol -> SymbolInfo, "
                f"got {type(key).__name__} -> {type(info).__name__}"
            ),
        )
        assert info.symbol == key, f"SymbolInfo under key {key} describes {info.symbol}"
        expect(
            info.base_precision >= 0 and info.quote_precision >= 0,
            (f"{key}: precisions must not be negative, got {info.base_precision}/{info.quote_precision}"),
        )
        expect(
            isinstance(info.min_quantity, Decimal) and isinstance(info.min_notional, Decimal),
            (f"{key}: min_quantity and min_notional must be Decimal (money is never float)"),
        )
    return infos


def assert_valid_balances(balances: object) -> Mapping[str, AssetBalance]:
    """A dict asset -> AssetBalance with non-negative Decimal amounts."""
    assert isinstance(balances, dict), f"expected dict, got {type(balances).__name__}"
    for asset, balance in balances.items():
        assert isinstance(balance, AssetBalance), (
            f"balances must map asset -> AssetBalance, got {type(balance).__name__}"
        )
        assert balance.asset == asset, f"AssetBalance under key {asset!r} is for {balance.asset!r}"
        expect(
            isinstance(balance.free, Decimal) and isinstance(balance.locked, Decimal),
            (f"{asset}: free and locked must be Decimal (money is never float)"),
        )
        expect(
            balance.free >= 0 and balance.locked >= 0,
            (f"{asset}: free and locked must not be negative, got {balance.free}/{balance.locked}"),
        )
    return balances


def assert_valid_order(order: object, symbol: Symbol) -> Order:
    """An Order of ``symbol`` with Decimal money fields and a string id."""
    assert isinstance(order, Order), f"expected Order, got {type(order).__name__}"
    assert order.symbol == symbol, f"order is for {order.symbol}, expected {symbol}"
    assert isinstance(order.order_id, str), "order_id must be a string"
    assert order.order_id, "order_id must not be empty"
    expect(
        isinstance(order.side, Side) and isinstance(order.order_type, OrderType),
        (f"Order.side/order_type must be Side/OrderType members, got {order.side!r}/{order.order_type!r}"),
    )
    assert isinstance(order.status, OrderStatus), f"Order.status must be an OrderStatus, got {order.status!r}"
    for name in ("quantity", "price", "quote_quantity", "average_price"):
        value = getattr(order, name)
        expect(value is None or isinstance(value, Decimal), f"Order.{name} must be Decimal or None")
    assert isinstance(order.filled_quantity, Decimal), (
        f"Order.filled_quantity must be Decimal, got {type(order.filled_quantity).__name__}"
    )
    return order


async def wait_for_condition(check: Callable[[], bool], seconds: float, interval: float = 0.02) -> bool:
    """Poll ``check`` until it is true or ``seconds`` pass; returns its last result."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(interval)
    return True
