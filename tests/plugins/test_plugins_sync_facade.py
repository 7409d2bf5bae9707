"""``exchanges.sync`` with the toy plugin: the typed blocking methods, their escape hatches, and the
by-name fallback for a plugin's own methods (no network, no asyncio in the test body)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from toy_exchange import ToyExchange, ToyPrivateExchange
from toy_exchange import plugin as toy_plugin

from exchanges.config import Credentials
from exchanges.errors import ExchangeClosedError
from exchanges.interfaces import PublicExchange
from exchanges.models import BookState, OrderBook, OrderStatus, Side, Symbol, Ticker, Trade
from exchanges.plugins import ExchangesPluginManager
from exchanges.sync import (
    BlockingIterator,
    BlockingPrivateExchange,
    BlockingPublicExchange,
    FullExchangeFactory,
)

BTC = Symbol("BTC", "USDT")
CREDS = Credentials("toykey-ABCDEFGH-1234", "toy-secret-12345678")


@pytest.fixture
def factory() -> Iterator[FullExchangeFactory]:
    manager = ExchangesPluginManager(load_entry_points=False, plugins=[toy_plugin])
    with FullExchangeFactory({}, manager, env={}, call_timeout=30) as sync_factory:
        yield sync_factory


def test_public_methods_block_and_return_the_async_types(factory: FullExchangeFactory) -> None:
    public = factory.create_public_exchange("toy", [BTC])
    assert isinstance(public, BlockingPublicExchange)
    assert isinstance(public.exchange, ToyExchange)
    assert isinstance(public.get_ticker(BTC), Ticker)
    assert isinstance(public.get_orderbook(BTC, limit=3), OrderBook)
    assert public.ping() is True
    public.start_orderbook_stream([BTC])
    assert public.orderbook_state(BTC) is BookState.LIVE  # a plain method, run on the loop
    assert public.get_local_orderbook(BTC, depth=2).symbol == BTC
    public.start_trades_stream([BTC])
    trades = public.iter_trades()
    assert isinstance(trades, BlockingIterator)
    with trades:
        assert isinstance(next(trades), Trade)
    assert public.get_ticker.__name__ == "get_ticker"
    assert public.get_ticker.__doc__ == PublicExchange.get_ticker.__doc__


def test_private_methods_block(factory: FullExchangeFactory) -> None:
    public, private = factory.create_exchange_pair("toy", [BTC], CREDS)
    assert isinstance(private, BlockingPrivateExchange)
    assert isinstance(private.exchange, ToyPrivateExchange)
    order = private.place_limit_order(BTC, Side.BUY, Decimal("1"), Decimal("100"))
    assert [o.order_id for o in private.get_open_orders(BTC)] == [order.order_id]
    assert private.cancel_order(BTC, order.order_id).status is OrderStatus.CANCELED
    assert private.get_balances()
    public.close()
    private.close()


def test_a_missing_capability_is_an_attribute_error_like_the_async_object(
    factory: FullExchangeFactory,
) -> None:
    public, private = factory.create_exchange_pair("toy", [BTC], CREDS)
    assert not hasattr(public.exchange, "get_tickers")
    with pytest.raises(AttributeError, match="get_tickers"):
        public.get_tickers()
    assert not hasattr(public, "get_tickers")
    with pytest.raises(AttributeError):
        private.withdraw  # noqa: B018 - the toy has no withdrawals


def test_escape_hatches_and_by_name_fallback(factory: FullExchangeFactory) -> None:
    public = factory.create_public_exchange("toy", [BTC])
    exchange = public.exchange
    assert isinstance(exchange, ToyExchange)
    assert public.call(exchange.get_ticker, BTC).symbol == BTC
    assert public.call_on_loop(exchange.get_performance_metrics) == {"requests": 0}
    exchange_books = public.iterate(exchange.iter_orderbooks)
    assert isinstance(exchange_books, BlockingIterator)
    exchange_books.close()
    # A plugin's own attribute, by name (untyped): values pass through, methods block.
    assert public.initialized is True
    assert "get_ticker" in dir(public)
    assert "initialized" in dir(public)


def test_every_call_after_the_factory_closes_raises(factory: FullExchangeFactory) -> None:
    public = factory.create_public_exchange("toy", [BTC])
    factory.close()
    with pytest.raises(ExchangeClosedError):
        public.get_ticker(BTC)
    with pytest.raises(ExchangeClosedError):
        public.call(public.exchange.ping)
