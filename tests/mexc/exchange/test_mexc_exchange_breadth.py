"""The ccxt-user methods through the factory against the simulator: all tickers, book-ticker and kline
streams, kline history paging, batch and test orders, fees, every open order without a symbol,
paged order/fill history, and ExchangeClosedError after close()."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from exchanges.capabilities import (
    SupportsAllTickers,
    SupportsBatchOrders,
    SupportsBookTickerStream,
    SupportsKlineHistory,
    SupportsKlineStream,
    SupportsPagedHistory,
    SupportsTestOrder,
    SupportsTradingFees,
)
from exchanges.config import Credentials
from exchanges.errors import ExchangeClosedError, ExchangeError, InsufficientBalance, InvalidOrder
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import (
    KlineInterval,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from exchanges_mexc.errors import MexcErrorClassifier
from exchanges_mexc.exchange import MexcCompositePrivateExchange, MexcCompositePublicExchange
from exchanges_mexc.sim import MexcSimulator

from .conftest import BTC_USDT as BTC
from .conftest import ETH_USDT as ETH

MINUTE = 60_000


def pub(exchange: PublicExchange) -> MexcCompositePublicExchange:
    assert isinstance(exchange, MexcCompositePublicExchange)
    return exchange


def priv(exchange: PrivateExchange) -> MexcCompositePrivateExchange:
    assert isinstance(exchange, MexcCompositePrivateExchange)
    return exchange


async def test_public_capabilities(public: PublicExchange) -> None:
    for capability in (
        SupportsAllTickers,
        SupportsBookTickerStream,
        SupportsKlineStream,
        SupportsKlineHistory,
    ):
        assert isinstance(public, capability)


async def test_all_tickers_keyed_by_symbol(public: PublicExchange) -> None:
    tickers = await pub(public).get_tickers()
    assert set(tickers) == {BTC, ETH}
    assert tickers[BTC].symbol == BTC
    assert tickers[BTC].last_price > 0
    books = await pub(public).get_book_tickers()
    assert set(books) == {BTC, ETH}
    assert books[ETH].bid_price < books[ETH].ask_price


async def test_book_ticker_stream(public: PublicExchange) -> None:
    exchange = pub(public)
    seen: list[object] = []
    await exchange.start_book_ticker_stream([BTC])
    iterator = exchange.iter_book_tickers()
    async with asyncio.timeout(30):
        async for ticker in iterator:
            seen.append(ticker)
            assert ticker.symbol == BTC
            assert ticker.bid_price < ticker.ask_price
            break
    await exchange.stop_book_ticker_stream()
    assert seen
    assert not exchange.streaming


async def test_kline_stream(public: PublicExchange) -> None:
    exchange = pub(public)
    await exchange.start_kline_stream([ETH], KlineInterval.MINUTE_1)
    async with asyncio.timeout(30):
        async for kline in exchange.iter_klines():
            assert kline.symbol == ETH
            assert kline.interval is KlineInterval.MINUTE_1
            assert kline.low <= kline.close <= kline.high
            break
    await exchange.stop_kline_stream([ETH])
    assert not exchange.streaming


async def test_kline_history_pages_each_candle_once(public: PublicExchange) -> None:
    exchange = pub(public)
    now = await exchange.get_server_time()
    start = now - 1300 * MINUTE  # more than one page of 1000
    candles = [k async for k in exchange.iter_kline_history(BTC, KlineInterval.MINUTE_1, start, now)]
    opens = [k.open_time for k in candles]
    assert len(candles) > 1000
    assert opens == sorted(set(opens))
    assert opens[0] >= start
    assert opens[-1] < now


async def test_kline_history_refuses_what_mexc_rest_lacks(public: PublicExchange, sim: MexcSimulator) -> None:
    before = len(sim.request_log)
    with pytest.raises(ExchangeError):
        [k async for k in pub(public).iter_kline_history(BTC, KlineInterval.HOUR_8, 0, 10 * MINUTE)]
    assert not [p for _, p in sim.request_log[before:] if p == "/api/v3/klines"]


async def test_public_closed_raises(public: PublicExchange) -> None:
    exchange = pub(public)
    await exchange.close()
    for call in (
        exchange.get_tickers(),
        exchange.get_ticker(BTC),
        exchange.get_orderbook(BTC),
        exchange.start_book_ticker_stream([BTC]),
        exchange.ping(),
    ):
        with pytest.raises(ExchangeClosedError):
            await call
    with pytest.raises(ExchangeClosedError):
        exchange.iter_trades()
    with pytest.raises(ExchangeClosedError):
        exchange.get_local_orderbook(BTC)


async def test_private_capabilities(private: PrivateExchange) -> None:
    for capability in (SupportsBatchOrders, SupportsTestOrder, SupportsTradingFees, SupportsPagedHistory):
        assert isinstance(private, capability)
    assert priv(private).has_credentials() is True


async def test_batch_orders_per_item_results(private: PrivateExchange, sim: MexcSimulator) -> None:
    exchange = priv(private)
    results = await exchange.place_batch_orders(
        [
            OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "30000", client_order_id="bb1"),
            OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "30000.001"),  # off tick: refused locally
            OrderRequest(BTC, Side.SELL, OrderType.LIMIT, "11", "90000"),  # MEXC: insufficient balance
        ]
    )
    assert isinstance(results[0], Order)
    assert results[0].client_order_id == "bb1"
    assert isinstance(results[1], InvalidOrder)
    assert isinstance(results[2], InsufficientBalance)
    batches = [p for _, p in sim.request_log if p == "/api/v3/batchOrders"]
    assert len(batches) == 1
    with pytest.raises(InvalidOrder):
        await exchange.place_batch_orders(
            [OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "30000")] * 21
        )


async def test_test_order_validates_without_placing(private: PrivateExchange, sim: MexcSimulator) -> None:
    exchange = priv(private)
    await exchange.test_order(OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "30000"))
    assert ("POST", "/api/v3/order/test") in sim.request_log
    assert await exchange.get_open_orders(BTC) == []
    with pytest.raises(InvalidOrder):
        await exchange.test_order(OrderRequest(BTC, Side.BUY, OrderType.LIMIT, "0.001", "30000.001"))


async def test_trading_fees(private: PrivateExchange) -> None:
    fee = await priv(private).get_trading_fees(BTC)
    assert fee.symbol == BTC
    assert Decimal(0) <= fee.maker <= fee.taker < Decimal("0.01")


async def test_open_orders_without_symbol_in_a_new_process(
    private: PrivateExchange,
    factory: FullExchangeFactory,
    credentials: Credentials,
    sim_overrides: dict[str, str],
) -> None:
    placed = await priv(private).place_limit_order(BTC, Side.BUY, "0.001", "30000")
    fresh = await factory.create_private_exchange(
        "mexc_spot", credentials, environment="sim", overrides=sim_overrides
    )
    try:
        found = await fresh.get_open_orders()  # type: ignore[attr-defined]
    finally:
        await fresh.close()
    assert [o.order_id for o in found] == [placed.order_id]


async def test_paged_history(private: PrivateExchange) -> None:
    exchange = priv(private)
    placed = [await exchange.place_limit_order(ETH, Side.BUY, "0.01", "1000") for _ in range(3)]
    await exchange.place_market_order(ETH, Side.BUY, "0.01")
    orders = [o async for o in exchange.iter_order_history(ETH)]
    ids = [o.order_id for o in orders]
    assert set(p.order_id for p in placed) <= set(ids)
    assert len(ids) == len(set(ids)) == 4
    assert [o.timestamp for o in orders] == sorted(o.timestamp for o in orders)
    fills = [f async for f in exchange.iter_my_trades(ETH)]
    assert fills
    assert all(f.symbol == ETH for f in fills)
    assert any(o.status is OrderStatus.FILLED for o in orders)


async def test_private_closed_raises(private: PrivateExchange) -> None:
    exchange = priv(private)
    await exchange.close()
    for call in (
        exchange.get_balances(),
        exchange.get_open_orders(),
        exchange.place_limit_order(BTC, Side.BUY, "0.001", "30000"),
        exchange.get_trading_fees(BTC),
        exchange.start_user_stream(),
        exchange.health_check(),
        exchange.get_withdrawal_networks("USDT"),
        exchange.get_withdrawal_history("USDT"),
        exchange.get_deposit_history("USDT"),
    ):
        with pytest.raises(ExchangeClosedError):
            await call
    with pytest.raises(ExchangeClosedError):
        exchange.iter_my_trades(BTC)


async def test_a_closed_private_exchange_sends_nothing(private: PrivateExchange, sim: MexcSimulator) -> None:
    """health_check() after close() used to ping and sign an account request on a reopened session."""
    exchange = priv(private)
    await exchange.close()
    before = len(sim.request_log)
    with pytest.raises(ExchangeClosedError):
        await exchange.health_check()
    assert sim.request_log[before:] == []


def test_classify_error_returns_the_class() -> None:
    classifier = MexcErrorClassifier()
    assert classifier.classify_error(10101, "Insufficient balance") is InsufficientBalance
    assert issubclass(classifier.classify_error(999999, "?"), ExchangeError)
    assert classifier.classify_error(429, "").__name__ == "RateLimitError"
