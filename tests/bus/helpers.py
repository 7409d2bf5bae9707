"""Helpers shared by the bus tests (the fixtures they use are in conftest.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from exchanges.interfaces import PublicExchange
from exchanges.models import BookState, Symbol
from exchanges_mexc.sim import MexcSimulator

BTC, ETH = Symbol("BTC", "USDT"), Symbol("ETH", "USDT")
SYMBOLS = [BTC, ETH]


async def until(check: Callable[[], bool], within: float = 60.0) -> None:
    """Wait (event loop running) until ``check()`` holds; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def equals_engine(exchange: PublicExchange, sim: MexcSimulator, symbol: Symbol) -> bool:
    """The exchange's local book of ``symbol`` is LIVE and equal to the simulator's engine book."""
    if exchange.orderbook_state(symbol) is not BookState.LIVE:  # type: ignore[attr-defined]
        return False
    book = exchange.get_local_orderbook(symbol)  # type: ignore[attr-defined]
    bids, asks, version = sim.engine.book_levels(f"{symbol.base}{symbol.quote}")
    return (
        book.version == version
        and [(e.price, e.size) for e in book.bids] == [(float(p), float(q)) for p, q in bids]
        and [(e.price, e.size) for e in book.asks] == [(float(p), float(q)) for p, q in asks]
    )
