"""Record the simulator's moving market over every public channel, and replay a recording: shared by
the recording tests and the benchmark."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import attrs

from exchanges import FullExchangeFactory
from exchanges.handlers import PublicStreamHandlers
from exchanges.models import BookStateChange, BookTicker, Kline, OrderBook, Symbol, Ticker, Trade
from exchanges.recording import RECORDABLE_CHANNELS, RecordingReader, ReplayResult
from exchanges_mexc.composite.public import MexcCompositePublicExchange
from exchanges_mexc.sim import MexcSimulator
from exchanges_mexc.ws.recording import channel_kind, frame_channel

PAIRS = (
    "BTCUSDT",
    "ETHUSDT",
    "MXUSDT",
    "SOLUSDT",
    "XRPUSDT",
    "DOGEUSDT",
    "ADAUSDT",
    "TRXUSDT",
    "LTCUSDT",
    "DOTUSDT",
)


def symbols(count: int) -> list[Symbol]:
    return [Symbol(pair[:-4], "USDT") for pair in PAIRS[:count]]


@attrs.define
class Delivered:
    """What a run delivered to user code."""

    trades: list[Trade] = attrs.field(factory=list)
    tickers: list[Ticker] = attrs.field(factory=list)
    books: list[OrderBook] = attrs.field(factory=list)
    book_tickers: list[BookTicker] = attrs.field(factory=list)
    klines: list[Kline] = attrs.field(factory=list)
    book_states: list[BookStateChange] = attrs.field(factory=list)

    def handlers(self) -> PublicStreamHandlers:
        return PublicStreamHandlers(
            trade_handler=self.trades.append,
            ticker_handler=self.tickers.append,
            orderbook_handler=self.books.append,
            book_ticker_handler=self.book_tickers.append,
            kline_handler=self.klines.append,
            book_state_handler=self.book_states.append,
        )

    def state_changes(self) -> list[tuple[Symbol, str, str, str]]:
        """Book state changes without their local-clock timestamps, up to the end of the data (the
        books' STALE "stopped" when the exchange closes is not part of a recording)."""
        return [
            (c.symbol, c.state.value, c.previous.value, c.reason)
            for c in self.book_states
            if c.reason != "stopped"
        ]


def factory() -> FullExchangeFactory:
    return FullExchangeFactory(config={}, env={})


async def record_sim(
    directory: Path,
    *,
    seconds: float,
    count: int = 10,
    market_rate: float = 40.0,
    record: bool = True,
    disturb: bool = False,
) -> tuple[Delivered, dict[str, Any]]:
    """Record ``seconds`` of the simulator for ``count`` symbols on every public channel.

    ``disturb``: a third of the way in, two books lose a depth version (they resync from a new
    snapshot); two thirds in, the simulator drops every connection (reconnect, books resync).
    """
    delivered = Delivered()
    pairs = PAIRS[:count]
    async with MexcSimulator(symbols=pairs, seed=5, market_rate=market_rate, ticker_interval=1.0) as sim:
        overrides: dict[str, Any] = {"rest_url": sim.rest_url, "ws_url": sim.ws_url}
        if record:
            overrides["record_path"] = str(directory)
        exchange = await factory().create_public_exchange(
            "mexc_spot", symbols(count), environment="sim", overrides=overrides
        )
        assert isinstance(exchange, MexcCompositePublicExchange)
        try:
            exchange.ws.set_handlers(delivered.handlers())
            await exchange.subscribe_channels(symbols(count), RECORDABLE_CHANNELS)
            if disturb:
                await asyncio.sleep(seconds / 3)
                for pair in pairs[:2]:
                    sim.faults.skip_depth_version(pair)
                await asyncio.sleep(seconds / 3)
                sim.faults.drop_connections()
                await asyncio.sleep(seconds / 3)
            else:
                await asyncio.sleep(seconds)
        finally:
            await exchange.close()
    return delivered, exchange.metrics.snapshot()


async def replay(
    directory: Path, *, speed: float = 0.0, yield_every: int | None = None, skip_corrupt: bool = False
) -> tuple[Delivered, ReplayResult]:
    """Replay ``directory`` into a :class:`Delivered` (``yield_every``: frames between two yields)."""
    delivered = Delivered()
    exchange = await factory().create_public_exchange(
        "mexc_spot",
        environment="replay",
        overrides={
            "replay_path": str(directory),
            "replay_speed": speed,
            "replay_skip_corrupt": skip_corrupt,
        },
    )
    assert isinstance(exchange, MexcCompositePublicExchange)
    try:
        if yield_every is not None:
            assert exchange.replay is not None
            exchange.replay.yield_every = yield_every
        exchange.ws.set_handlers(delivered.handlers())
        source = await exchange.start_replay()
        async with asyncio.timeout(300):
            result = await source.wait_finished()
    finally:
        await exchange.close()
    return delivered, result


def frames_per_channel(directory: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for record in RecordingReader(directory):
        payload = getattr(record, "payload", None)
        if hasattr(record, "received_ns") and payload is not None:
            counts[channel_kind(frame_channel(payload))] += 1
    return counts
