"""Every public method of MexcCompositePublicExchange, created through the factory, against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from exchanges.capabilities import (
    SupportsBalance,
    SupportsOrderBookStream,
    SupportsTickerStream,
    SupportsTradeStream,
    SupportsTrading,
    SupportsUserStream,
    SupportsWithdrawal,
)
from exchanges.errors import ExchangeClosedError, ExchangeConnectionError, SymbolNotSupported
from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PublicStreamHandlers
from exchanges.interfaces import PublicExchange
from exchanges.models import AssetName, BookState, KlineInterval, Side, Symbol, Ticker, Trade
from exchanges.testing import (
    assert_valid_book_ticker,
    assert_valid_orderbook,
    assert_valid_symbols_info,
    assert_valid_ticker,
    assert_valid_trades,
    wait_for_condition,
)
from exchanges_mexc.exchange import MexcCompositePublicExchange
from exchanges_mexc.sim import MexcSimulator

BTC = Symbol(AssetName("BTC"), AssetName("USDT"))
ETH = Symbol(AssetName("ETH"), AssetName("USDT"))
UNKNOWN = Symbol(AssetName("NOPE"), AssetName("USDT"))
SPEC_METRIC_KEYS = {
    "ws_connections_established",
    "ws_connection_time_avg_ms",
    "ws_reconnections",
    "protobuf_messages_processed",
    "json_messages_processed",
    "message_processing_time_avg_ms",
    "symbol_cache_hit_rate",
    "connection_reuse_rate",
    "api_errors",
    "rate_limit_errors",
    "connection_errors",
    "orderbook_resyncs",
    "dropped_messages",
    "rest_latency",
}


async def next_item(iterator: AsyncIterator[Any], seconds: float = 10.0) -> Any:
    return await asyncio.wait_for(anext(iterator), seconds)


async def test_factory_builds_the_composite(public: PublicExchange) -> None:
    assert isinstance(public, MexcCompositePublicExchange)
    assert public.name == "mexc_spot"
    assert public.symbols == (BTC, ETH)
    assert public.config.environment == "sim"
    for capability in (SupportsOrderBookStream, SupportsTradeStream, SupportsTickerStream):
        assert isinstance(public, capability)
    for private_only in (SupportsTrading, SupportsBalance, SupportsWithdrawal, SupportsUserStream):
        assert not isinstance(public, private_only)


async def test_rest_market_data(public: PublicExchange, sim: MexcSimulator) -> None:
    infos = assert_valid_symbols_info(await public.get_symbols_info(), BTC)
    assert set(infos) == {BTC, ETH}
    assert infos[BTC].quote_precision == 2
    book = assert_valid_orderbook(await public.get_orderbook(BTC, 5), BTC)
    assert book.bids
    assert book.asks
    assert len(book.bids) <= 5 or book.version is not None
    assert_valid_trades(await public.get_recent_trades(BTC, 20), BTC)
    assert_valid_ticker(await public.get_ticker(ETH), ETH)
    assert_valid_book_ticker(await public.get_book_ticker(BTC), BTC)
    klines = await public.get_klines(BTC, KlineInterval.MINUTE_1, limit=5)
    assert 0 < len(klines) <= 5
    assert [k.open_time for k in klines] == sorted(k.open_time for k in klines)
    server_time = await public.get_server_time()
    assert abs(server_time - sim.now_ms()) < 60_000
    assert await public.ping() is True


async def test_unknown_symbol_is_refused_without_a_request(
    public: PublicExchange, sim: MexcSimulator
) -> None:
    before = len(sim.request_log)
    for call in (public.get_orderbook, public.get_ticker, public.get_recent_trades, public.get_book_ticker):
        with pytest.raises(SymbolNotSupported, match="NOPE/USDT"):
            await call(UNKNOWN)
    assert len(sim.request_log) == before
    assert isinstance(public, SupportsOrderBookStream)
    with pytest.raises(SymbolNotSupported):
        await public.start_orderbook_stream([UNKNOWN])


async def test_unknown_symbol_at_creation(
    factory: FullExchangeFactory, sim_overrides: dict[str, str]
) -> None:
    with pytest.raises(SymbolNotSupported, match="unknown symbol NOPE/USDT"):
        await factory.create_public_exchange(
            "mexc_spot", [BTC, UNKNOWN], environment="sim", overrides=sim_overrides
        )


async def test_unreachable_server(factory: FullExchangeFactory) -> None:
    overrides = {"rest_url": "http://127.0.0.1:9", "ws_url": "ws://127.0.0.1:9/ws", "max_retries": 0}
    with pytest.raises(ExchangeConnectionError):
        await factory.create_public_exchange("mexc_spot", [BTC], environment="sim", overrides=overrides)


async def test_orderbook_stream(public: PublicExchange) -> None:
    assert isinstance(public, SupportsOrderBookStream)
    assert isinstance(public, MexcCompositePublicExchange)
    assert public.streams.created_ws is None, "the WebSocket is created lazily, by the first stream"
    with pytest.raises(KeyError, match="start_orderbook_stream"):
        public.get_local_orderbook(BTC)
    seen: list[Any] = []
    await public.start_orderbook_stream([BTC], PublicStreamHandlers(orderbook_handler=seen.append))
    assert await wait_for_condition(lambda: public.orderbook_state(BTC) is BookState.LIVE, 10)
    local = assert_valid_orderbook(public.get_local_orderbook(BTC, 10), BTC)
    assert 0 < len(local.bids) <= 10
    iterator = public.iter_orderbooks()
    book = await next_item(iterator)
    assert_valid_orderbook(book, BTC)
    assert await wait_for_condition(lambda: bool(seen), 10)
    await public.stop_orderbook_stream([BTC])
    with pytest.raises(KeyError):
        public.orderbook_state(BTC)
    await public.stop_orderbook_stream()  # harmless when nothing streams


async def test_trade_stream_sees_our_own_trade(public: PublicExchange, private: Any) -> None:
    assert isinstance(public, SupportsTradeStream)
    trades = public.iter_trades()
    await public.start_trades_stream([ETH])
    await private.place_market_order(ETH, Side.BUY, "0.5")
    trade = await next_item(trades)
    assert isinstance(trade, Trade)
    assert_valid_trades([trade], ETH)
    await public.stop_trades_stream()


async def test_ticker_stream_with_handler(public: PublicExchange) -> None:
    assert isinstance(public, SupportsTickerStream)
    received: list[Ticker] = []
    tickers = public.iter_tickers()
    await public.start_ticker_stream([BTC], PublicStreamHandlers(ticker_handler=received.append))
    ticker = await next_item(tickers)
    assert_valid_ticker(ticker, BTC)
    assert await wait_for_condition(lambda: bool(received), 10)
    await public.stop_ticker_stream([BTC])


async def test_metrics_and_health(public: PublicExchange) -> None:
    assert isinstance(public, SupportsOrderBookStream)
    health = await public.health_check()  # no stream yet: the WebSocket is probed with PING/PONG
    assert health == {
        "rest_connectivity": True,
        "websocket_connectivity": True,
        "protobuf_parsing": True,
        "overall": True,
    }
    await public.start_orderbook_stream([BTC])
    assert await wait_for_condition(lambda: public.orderbook_state(BTC) is BookState.LIVE, 10)
    assert (await public.health_check())["websocket_connectivity"] is True
    # LIVE can come from the snapshot alone (subscription confirmed, nothing buffered): wait for a push
    pushed = lambda: public.get_performance_metrics()["protobuf_messages_processed"] > 0  # noqa: E731
    assert await wait_for_condition(pushed, 10)
    metrics = public.get_performance_metrics()
    assert set(metrics) >= SPEC_METRIC_KEYS
    assert metrics["ws_connections_established"] >= 1
    assert metrics["protobuf_messages_processed"] > 0
    assert metrics["json_messages_processed"] >= 1  # the subscription ack
    assert metrics["message_processing_time_avg_ms"] is not None
    assert metrics["object_pool_hit_rate"] is None
    assert "not used" in metrics["object_pool_note"]
    assert 0 <= metrics["connection_reuse_rate"] <= 100
    assert metrics["api_errors"] == 0
    assert "GET /api/v3/depth" in metrics["rest_latency"]
    assert metrics["orderbooks"] == {"BTC/USDT": "LIVE"}


async def test_health_reports_a_dead_server(factory: FullExchangeFactory, sim: MexcSimulator) -> None:
    exchange = await factory.create_public_exchange(
        "mexc_spot", [BTC], environment="sim", overrides={"rest_url": sim.rest_url, "ws_url": sim.ws_url}
    )
    try:
        await sim.stop()
        health = await exchange.health_check()
        assert health["rest_connectivity"] is False
        assert health["websocket_connectivity"] is False
        assert health["protobuf_parsing"] is True
        assert health["overall"] is False
    finally:
        await exchange.close()


async def test_close_is_idempotent_and_stops_streams(public: PublicExchange) -> None:
    assert isinstance(public, MexcCompositePublicExchange)
    await public.start_trades_stream([BTC])
    await public.close()
    await public.close()
    assert public.closed
    with pytest.raises(ExchangeClosedError, match="closed"):
        public.iter_trades()


def test_repr_names_the_target() -> None:
    from exchanges_mexc.plugin import SPEC

    exchange = MexcCompositePublicExchange(SPEC.default_config, [BTC])
    assert "https://api.mexc.com" in repr(exchange)
    assert "BTC/USDT" in repr(exchange)
