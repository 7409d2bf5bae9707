"""MexcPublicSpotRest against the simulator over loopback: every endpoint, caching, errors, 429."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from aiohttp import web

from exchanges.config import ExchangeConfig
from exchanges.errors import ExchangeAPIError, ExchangeConnectionError, SymbolNotSupported
from exchanges.models import KlineInterval, OrderBook, Symbol
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim import MexcSimulator

BTC = Symbol("BTC", "USDT")
ETH = Symbol("ETH", "USDT")


def count(sim: MexcSimulator, path: str) -> int:
    return sum(1 for _, p in sim.request_log if p == path)


async def test_ping_and_time(public: MexcPublicSpotRest, sim: MexcSimulator) -> None:
    assert await public.ping() is True
    server_time = await asyncio.wait_for(public.get_server_time(), 5)
    assert abs(server_time - sim.now_ms()) < 5000


async def test_ping_false_when_down(make_cfg: Callable[..., ExchangeConfig]) -> None:
    client = MexcPublicSpotRest(make_cfg(rest_url="http://127.0.0.1:9", max_retries=0))
    try:
        assert await client.ping() is False
        with pytest.raises(ExchangeConnectionError):
            await client.get_server_time()
    finally:
        await client.close()


async def test_exchange_info_cached_and_mapper_loaded(public: MexcPublicSpotRest, sim: MexcSimulator) -> None:
    infos = await public.get_exchange_info()
    assert {BTC, ETH} <= set(infos)
    btc = infos[BTC]
    assert btc.base_precision == 6
    assert btc.quote_precision == 2
    assert btc.api_tradable
    assert not infos[Symbol("BAR", "USDT")].api_tradable
    assert not infos[Symbol("FOO", "USDT")].sell_allowed
    assert public.symbol_mapper.to_symbol("ETHUSDT") == ETH
    assert await public.get_symbols_info() is infos
    assert count(sim, "/api/v3/exchangeInfo") == 1


async def test_stale_rules_served_while_refreshing(
    sim: MexcSimulator, make_cfg: Callable[..., ExchangeConfig]
) -> None:
    client = MexcPublicSpotRest(make_cfg(symbol_info_ttl=0.0))
    try:
        first = await client.get_exchange_info()
        second = await client.get_exchange_info()  # stale: served at once, refresh scheduled
        assert second is first
        for _ in range(100):
            if count(sim, "/api/v3/exchangeInfo") >= 2:
                break
            await asyncio.sleep(0.01)
        assert count(sim, "/api/v3/exchangeInfo") >= 2
    finally:
        await client.close()


async def test_default_symbols(public: MexcPublicSpotRest) -> None:
    symbols = await public.get_default_symbols()
    assert BTC in symbols
    assert Symbol("BAR", "USDT") not in symbols


async def test_orderbook(public: MexcPublicSpotRest) -> None:
    book = await public.get_orderbook(BTC, limit=7)
    assert isinstance(book, OrderBook)
    assert book.symbol == BTC
    assert book.version is not None
    assert book.bids
    assert book.asks
    assert book.bids[0].price < book.asks[0].price


async def test_trades_klines_and_tickers(public: MexcPublicSpotRest, sim: MexcSimulator) -> None:
    trades = await public.get_recent_trades(BTC, limit=10)
    assert all(t.symbol == BTC for t in trades)
    now = sim.now_ms()
    agg = await public.get_agg_trades(BTC, limit=10, start_time=now - 3_600_000, end_time=now)
    assert all(t.symbol == BTC for t in agg)
    with pytest.raises(ValueError, match="together"):
        await public.get_agg_trades(BTC, start_time=now)
    klines = await public.get_klines(BTC, KlineInterval.HOUR_1, limit=5)
    assert klines
    assert all(k.interval is KlineInterval.HOUR_1 for k in klines)
    assert [k.open_time for k in klines] == sorted(k.open_time for k in klines)
    assert await public.get_avg_price(BTC) > 0
    ticker = await public.get_ticker(BTC)
    assert ticker.symbol == BTC
    assert ticker.last_price > 0
    tickers = await public.get_tickers()
    assert BTC in tickers
    assert ETH in tickers
    assert await public.get_price(BTC) > 0
    prices = await public.get_prices()
    assert prices[ETH] > 0
    book_ticker = await public.get_book_ticker(BTC)
    assert book_ticker.bid_price < book_ticker.ask_price
    assert BTC in await public.get_book_tickers()


async def test_hour8_klines_refused_before_sending(public: MexcPublicSpotRest, sim: MexcSimulator) -> None:
    before = len(sim.request_log)
    with pytest.raises(ExchangeAPIError, match="HOUR_8"):
        await public.get_klines(BTC, KlineInterval.HOUR_8)
    assert len(sim.request_log) == before


async def test_unknown_symbol_is_symbol_not_supported(public: MexcPublicSpotRest) -> None:
    with pytest.raises(SymbolNotSupported):
        await public.get_orderbook(Symbol("NOPE", "USDT"))


async def test_rate_limit_waits_instead_of_failing(public: MexcPublicSpotRest, sim: MexcSimulator) -> None:
    sim.faults.force_429(2, retry_after=0)
    book = await asyncio.wait_for(public.get_orderbook(BTC), 10)
    assert book.bids
    assert public.metrics.value("rest.rate_limit_errors") == 2
    sim.faults.force_429(1, retry_after=1)
    assert await asyncio.wait_for(public.get_server_time(), 10) > 0
    assert public.metrics.value("rest.rate_limit_errors") == 3


async def test_performance_metrics(public: MexcPublicSpotRest) -> None:
    await public.get_orderbook(BTC)
    await public.get_orderbook(BTC)
    metrics = public.get_performance_metrics()
    assert "connection_reuse_rate" in metrics
    assert "symbol_cache_hit_rate" in metrics


async def test_default_symbols_failure_logged_at_debug_when_unreachable(
    make_cfg: Callable[..., ExchangeConfig], caplog: pytest.LogCaptureFixture
) -> None:
    client = MexcPublicSpotRest(make_cfg(rest_url="http://127.0.0.1:9", max_retries=0))
    try:
        with caplog.at_level(logging.DEBUG, logger="exchanges.mexc"), pytest.raises(ExchangeConnectionError):
            await asyncio.wait_for(client.get_exchange_info(), 5)
    finally:
        await client.close()
    records = [r for r in caplog.records if "defaultSymbols unavailable" in r.getMessage()]
    assert [r.levelno for r in records] == [logging.DEBUG]


async def test_default_symbols_other_failure_logged_at_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def default_symbols(request: web.Request) -> web.Response:
        return web.json_response({"code": 700007, "msg": "No permission"}, status=403)

    async def exchange_info(request: web.Request) -> web.Response:
        return web.json_response({"timezone": "CST", "serverTime": 0, "symbols": []})

    app = web.Application()
    app.router.add_get("/api/v3/defaultSymbols", default_symbols)
    app.router.add_get("/api/v3/exchangeInfo", exchange_info)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    config = ExchangeConfig(
        name="mexc_spot", rest_url=f"http://127.0.0.1:{port}", ws_url="ws://127.0.0.1:1/ws", max_retries=0
    )
    client = MexcPublicSpotRest(config)
    try:
        with caplog.at_level(logging.DEBUG, logger="exchanges.mexc"):
            assert await asyncio.wait_for(client.get_exchange_info(), 5) == {}
    finally:
        await client.close()
        await runner.cleanup()
    records = [r for r in caplog.records if "defaultSymbols unavailable" in r.getMessage()]
    assert [r.levelno for r in records] == [logging.WARNING]
