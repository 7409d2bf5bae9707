"""Helpers for the MEXC WebSocket tests: configs pointing at the simulator, book checkpoints."""

from __future__ import annotations

import asyncio
from typing import Any

from exchanges.config import ExchangeConfig
from exchanges.models import BookState, Symbol
from exchanges_mexc.plugin import SPEC
from exchanges_mexc.sim.app import MexcSimulator
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket


def sim_config(sim: MexcSimulator, **overrides: Any) -> ExchangeConfig:
    """A config for the simulator with short timeouts (tests fail fast instead of hanging)."""
    settings: dict[str, Any] = {
        "rest_url": sim.rest_url,
        "ws_url": sim.ws_url,
        "environment": "sim",
        "request_timeout": 3.0,
        "order_timeout": 3.0,
        "connect_timeout": 2.0,
        "ws_ping_interval": 5.0,
        "retry_delay": 0.05,
    }
    settings.update(overrides)
    return SPEC.default_config.with_overrides(**settings)


def sim_levels(
    sim: MexcSimulator, pair: str
) -> tuple[list[tuple[float, float]], list[tuple[float, float]], int]:
    bids, asks, version = sim.engine.book_levels(pair)
    return (
        [(float(price), float(qty)) for price, qty in bids],
        [(float(price), float(qty)) for price, qty in asks],
        version,
    )


async def wait_until(predicate: Any, within: float = 10.0, interval: float = 0.02) -> None:
    """Poll ``predicate()`` until true; TimeoutError otherwise."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - polling foreign state in tests
            await asyncio.sleep(interval)


async def assert_books_match(
    sim: MexcSimulator, ws: MexcPublicSpotWebsocket, symbols: list[Symbol], within: float = 15.0
) -> None:
    """Checkpoint: pause the market, let pushes drain, compare every local book with the simulator's."""
    sim.market.pause()
    try:
        for symbol in symbols:
            pair = ws.symbol_mapper.to_pair(symbol)
            sync = ws.books.books[symbol]

            def caught_up(sync: Any = sync, pair: str = pair) -> bool:
                return bool(sync.state is BookState.LIVE and sync.book.version == sim_levels(sim, pair)[2])

            try:
                async with asyncio.timeout(within):
                    while not caught_up():  # noqa: ASYNC110 - polls simulator state
                        await asyncio.sleep(0.05)
            except TimeoutError:
                raise AssertionError(
                    f"{symbol}: local {sync.state} v{sync.book.version}, sim v{sim_levels(sim, pair)[2]}"
                ) from None
            bids, asks, _ = sim_levels(sim, pair)
            assert sync.book.bids() == bids, f"{symbol} bids differ"
            assert sync.book.asks() == asks, f"{symbol} asks differ"
    finally:
        sim.market.resume()
