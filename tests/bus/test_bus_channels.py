"""Book tickers, candles and trade gaps through the bus (simulator over loopback, real nats-server).

A bus-backed exchange streams them with the usual calls (``start_book_ticker_stream``,
``start_kline_stream``, ``iter_*``, handlers) and sees the values a direct MEXC connection sees;
garbage on their subjects is counted and skipped; trades the gateway's own MEXC connection lost in
a reconnect are counted as possible gaps at every consumer, per symbol.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import pytest

from exchanges.bus import LocalNatsServer, MarketDataGateway, connect_bus
from exchanges.cli import main
from exchanges.handlers import PublicStreamHandlers
from exchanges.interfaces import PublicExchange
from exchanges.models import BookState, BookStateChange, BookTicker, Kline, KlineInterval, TradeGap
from exchanges_mexc.sim import MexcSimulator

from .helpers import BTC, ETH, SYMBOLS, equals_engine, until

T = TypeVar("T")
Received = list[tuple[float, Any]]


def collect(events: AsyncIterator[T], into: Received) -> asyncio.Task[None]:
    """Append ``(receive time, event)`` for every event of ``events`` until cancelled."""

    async def run() -> None:
        async for event in events:
            into.append((time.monotonic(), event))

    return asyncio.get_running_loop().create_task(run())


def after(received: Received, since: float) -> list[Any]:
    return [event for at, event in received if at >= since]


async def test_book_tickers_and_klines_through_the_bus_equal_a_direct_connection(
    sim: MexcSimulator, consumer: PublicExchange, direct: PublicExchange, gateway: MarketDataGateway
) -> None:
    bus_tickers: Received = []
    bus_klines: Received = []
    direct_tickers: Received = []
    direct_klines: Received = []
    handled: list[BookTicker] = []
    tasks = [
        collect(consumer.iter_book_tickers(), bus_tickers),  # type: ignore[attr-defined]
        collect(consumer.iter_klines(), bus_klines),  # type: ignore[attr-defined]
        collect(direct.iter_book_tickers(), direct_tickers),  # type: ignore[attr-defined]
        collect(direct.iter_klines(), direct_klines),  # type: ignore[attr-defined]
    ]
    try:
        await direct.start_book_ticker_stream(SYMBOLS)  # type: ignore[attr-defined]
        await direct.start_kline_stream(SYMBOLS, KlineInterval.MINUTE_1)  # type: ignore[attr-defined]
        handlers = PublicStreamHandlers(book_ticker_handler=handled.append)
        await consumer.start_book_ticker_stream(SYMBOLS, handlers)  # type: ignore[attr-defined]
        await consumer.start_kline_stream(SYMBOLS, KlineInterval.MINUTE_1)  # type: ignore[attr-defined]
        await until(lambda: bool(direct_tickers) and bool(direct_klines))
        since = max(direct_tickers[0][0], direct_klines[0][0])  # both streams of both sides run
        await until(lambda: {k.symbol for k in after(bus_klines, since)} == set(SYMBOLS))
        await until(lambda: {t.symbol for t in after(bus_tickers, since)} == set(SYMBOLS))
        sim.market.pause()
        await asyncio.sleep(2.5)  # the last book ticker and two more candle pushes arrive
        for symbol in SYMBOLS:
            bus_bt = [t for t in after(bus_tickers, since) if t.symbol == symbol]
            direct_bt = [t for _, t in direct_tickers if t.symbol == symbol]
            by_version = {t.version: t for t in direct_bt}
            assert all(t.version is not None and by_version[t.version] == t for t in bus_bt)
            assert bus_bt[-1] == direct_bt[-1]  # the market is paused: both end at the same top
            top = sim.engine.books[f"{symbol.base}{symbol.quote}"].top()
            assert (bus_bt[-1].bid_price, bus_bt[-1].ask_price) == (float(top[0]), float(top[2]))  # type: ignore[arg-type]
            bus_k = [k for k in after(bus_klines, since) if k.symbol == symbol]
            direct_k = [k for _, k in direct_klines if k.symbol == symbol]
            assert all(k in direct_k for k in bus_k)
            assert bus_k[-1] == direct_k[-1]
            assert bus_k[-1].interval is KlineInterval.MINUTE_1
        assert handled
        assert handled[-1] == [t for _, t in bus_tickers][-1]
        bus = consumer.get_performance_metrics()["bus"]
        assert bus["events"]["book_ticker"] >= 2
        assert bus["events"]["kline"] >= 2
        assert bus["malformed"] == 0
        published = gateway.get_performance_metrics()
        assert published["bus.publish.book_ticker"] >= 2
        assert published["bus.publish.kline"] >= 2
        # a repeated candle (same state, pushed again) is stored once on the bus
        assert published["bus.publish.duplicates"] >= 1
    finally:
        for task in tasks:
            task.cancel()


async def test_a_bus_consumer_sees_its_book_states_and_stops_candles(
    sim: MexcSimulator, consumer: PublicExchange
) -> None:
    states: Received = []
    klines: Received = []
    tasks = [
        collect(consumer.iter_book_states(), states),  # type: ignore[attr-defined]
        collect(consumer.iter_klines(), klines),  # type: ignore[attr-defined]
    ]
    try:
        await consumer.start_orderbook_stream([BTC])  # type: ignore[attr-defined]
        await consumer.start_kline_stream([BTC], KlineInterval.MINUTE_1)  # type: ignore[attr-defined]
        await until(
            lambda: any(isinstance(s, BookStateChange) and s.state is BookState.LIVE for _, s in states)
        )
        await until(lambda: bool(klines))
        await consumer.stop_kline_stream([BTC])  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)  # anything in flight arrives
        stopped = time.monotonic()
        await asyncio.sleep(2.5)  # the gateway keeps publishing candles every second
        assert after(klines, stopped) == []
        assert consumer.get_performance_metrics()["bus"]["streams"] == {"book": 1}
        health = await consumer.health_check()  # type: ignore[attr-defined]
        assert health["bus_connectivity"] is True
    finally:
        for task in tasks:
            task.cancel()


async def test_malformed_book_tickers_and_klines_are_counted_and_skipped(
    sim: MexcSimulator, consumer: PublicExchange, nats_server: LocalNatsServer
) -> None:
    tickers: Received = []
    klines: Received = []
    tasks = [
        collect(consumer.iter_book_tickers(), tickers),  # type: ignore[attr-defined]
        collect(consumer.iter_klines(), klines),  # type: ignore[attr-defined]
    ]
    good_ticker = {"b": 1.0, "bq": 1.0, "a": 2.0, "aq": 1.0, "ts": 1, "g": "x", "pt": 1, "v": 7}
    good_kline = {"ot": 0, "ct": 60000, "o": 1, "h": 2, "l": 1, "c": 2, "v": 1, "qv": 2, "g": "x", "pt": 1}
    bad = [
        ("book_ticker", b"not json"),
        ("book_ticker", {**good_ticker, "b": -1.0}),
        ("book_ticker", {**good_ticker, "b": 0.0, "a": 0.0}),  # both sides empty
        ("book_ticker", {**good_ticker, "v": -3}),
        ("kline_1m", {**good_kline, "c": 0}),
        ("kline_1m", {**good_kline, "ct": -1}),  # window ends before it opens
        ("kline_1m", {**good_kline, "v": -1}),
        ("kline_1m", {k: v for k, v in good_kline.items() if k != "h"}),
    ]
    try:
        await consumer.start_book_ticker_stream([BTC])  # type: ignore[attr-defined]
        await consumer.start_kline_stream([BTC], KlineInterval.MINUTE_1)  # type: ignore[attr-defined]
        await until(lambda: bool(tickers) and bool(klines))
        conn = await connect_bus(nats_server.url, name="vandal")
        try:
            for channel, payload in bad:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                await conn.js.publish(f"md.mexc_spot.{channel}.BTC-USDT", data)
        finally:
            await conn.close()
        await until(lambda: consumer.get_performance_metrics()["bus"]["malformed"] == len(bad))
        seen = len(klines), len(tickers)
        await until(lambda: len(klines) > seen[0] and len(tickers) > seen[1])  # the streams go on
        assert all(t.bid_price > 0 and t.version != -3 for _, t in tickers)
        assert all(isinstance(k, Kline) and k.close > 0 and k.volume >= 0 for _, k in klines)
    finally:
        for task in tasks:
            task.cancel()


async def test_a_gateway_reconnect_to_mexc_is_a_possible_trade_gap_at_every_consumer(
    sim: MexcSimulator, consumer: PublicExchange, gateway: MarketDataGateway
) -> None:
    gaps: Received = []
    task = collect(consumer.iter_trade_gaps(), gaps)  # type: ignore[attr-defined]
    try:
        await consumer.start_trades_stream(SYMBOLS)  # type: ignore[attr-defined]
        await consumer.start_orderbook_stream(SYMBOLS)  # type: ignore[attr-defined]
        await until(lambda: all(consumer.orderbook_state(s) is BookState.LIVE for s in SYMBOLS))  # type: ignore[attr-defined]
        details = consumer.get_performance_metrics()["details"]
        before = {s: details.get(f"bus.trades.{s}.possible_gaps", 0) for s in SYMBOLS}
        own = gateway.public.get_performance_metrics()["details"]["mexc.ws.trades.possible_gaps"]
        sim.faults.drop_connections()  # the gateway's MEXC sockets die; it reconnects by itself

        def counted() -> bool:
            now = consumer.get_performance_metrics()["details"]
            return all(now.get(f"bus.trades.{s}.possible_gaps", 0) > before[s] for s in SYMBOLS)

        await until(counted)
        gateway_count = gateway.public.get_performance_metrics()["details"]["mexc.ws.trades.possible_gaps"]
        assert gateway_count >= own + 2
        reasons = {gap.symbol: gap.reason for _, gap in gaps if isinstance(gap, TradeGap)}
        assert set(reasons) == set(SYMBOLS)
        assert all("reconnected" in reason for reason in reasons.values())
        assert consumer.get_performance_metrics()["bus"]["trade_possible_gaps"] >= 2
        # the books went through the reconnect too: they resync and equal the engine again
        sim.market.pause()
        await asyncio.sleep(0.2)  # the market loop finishes its batch (it sleeps <= 0.1 s)
        await until(lambda: all(equals_engine(consumer, sim, s) for s in SYMBOLS))
    finally:
        task.cancel()


async def test_status_shows_the_gateway_and_the_rates_of_every_channel(
    consumer: PublicExchange,
    gateway: MarketDataGateway,
    nats_server: LocalNatsServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    del consumer  # only its gateway matters here

    async def status() -> list[dict[str, Any]]:
        code = await asyncio.to_thread(main, ["gateway", "status", "--nats", nats_server.url, "--json"])
        assert code == 0
        rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
        return rows

    deadline = time.monotonic() + 60
    while True:
        rows = await status()
        rates = rows[0]["rates"] if rows else {}
        if rates.get("kline", 0) > 0 and rates.get("book", 0) > 0 and rates.get("trade", 0) > 0:
            break
        assert time.monotonic() < deadline, f"rates never covered every channel: {rows}"
        await asyncio.sleep(0.5)
    row = rows[0]
    assert row["id"] == gateway.gateway_id
    assert sorted(row["symbols"]) == ["BTC-USDT", "ETH-USDT"]
    assert set(row["rates"]) >= {"book", "trade", "ticker", "book_ticker", "kline"}
    assert row["channels"] == ["book", "trade", "ticker", "book_ticker", "kline_1m"]
    assert all(age >= 0 for age in row["lease_ages"].values())
    code = await asyncio.to_thread(main, ["gateway", "status", "--nats", nats_server.url])
    assert code == 0
    table = capsys.readouterr().out
    assert gateway.gateway_id in table
    assert "kline=" in table
    assert "book_ticker=" in table


async def test_a_candle_width_no_gateway_publishes_is_reported_not_silent(
    consumer: PublicExchange, caplog: pytest.LogCaptureFixture
) -> None:
    await consumer.start_kline_stream([BTC], KlineInterval.MINUTE_1)  # type: ignore[attr-defined]
    await consumer.start_kline_stream([ETH], KlineInterval.MINUTE_5)  # type: ignore[attr-defined]
    await consumer.start_book_ticker_stream([BTC])  # type: ignore[attr-defined]

    def unserved() -> list[str]:
        result: list[str] = consumer.get_performance_metrics()["bus"]["unserved_channels"]
        return result

    await until(lambda: unserved() == ["kline_5m"])
    assert consumer.get_performance_metrics()["details"]["bus.unserved"] == 1
    assert "no gateway publishes kline_5m" in caplog.text
    await consumer.stop_kline_stream([ETH])  # type: ignore[attr-defined]
    assert unserved() == []
