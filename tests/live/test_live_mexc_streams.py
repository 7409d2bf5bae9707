"""Streaming checks against the REAL MEXC WebSocket, through the factory.

Opt-in: ``pytest -m live tests/live``.

Never run in CI (the default ``-m 'not live'`` deselects them). Read-only: public market data,
plus the user stream's listen-key handshake when ``MEXC_API_KEY``/``MEXC_SECRET_KEY`` are set.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from exchanges import (
    BookState,
    FullExchangeFactory,
    SupportsOrderBookStream,
    SupportsTradeStream,
    SupportsUserStream,
    Symbol,
)

pytestmark = pytest.mark.live

BTC = Symbol("BTC", "USDT")


async def test_live_book_reaches_live_and_trades_arrive() -> None:
    public = await FullExchangeFactory().create_public_exchange("mexc_spot", symbols=[BTC])
    async with public:
        assert isinstance(public, SupportsOrderBookStream)
        assert isinstance(public, SupportsTradeStream)
        await public.start_orderbook_stream([BTC])
        await public.start_trades_stream([BTC])
        async with asyncio.timeout(30):
            async for trade in public.iter_trades():
                assert trade.symbol == BTC
                assert trade.price > 0
                break
            while public.orderbook_state(BTC) is not BookState.LIVE:  # noqa: ASYNC110 - polls book state
                await asyncio.sleep(0.2)
        book = public.get_local_orderbook(BTC, depth=5)
        assert book.bids
        assert book.asks
        assert book.bids[0].price < book.asks[0].price
        metrics = public.get_performance_metrics()
        assert metrics["protobuf_messages_processed"] > 0
        assert (await public.health_check())["overall"]


@pytest.mark.skipif(not os.environ.get("MEXC_API_KEY"), reason="needs MEXC_API_KEY / MEXC_SECRET_KEY")
async def test_live_user_stream_connects() -> None:
    private = await FullExchangeFactory().create_private_exchange("mexc_spot")
    async with private:
        assert isinstance(private, SupportsUserStream)
        await private.start_user_stream()
        health = await private.health_check()
        assert health["authentication"]
        assert health["websocket_connectivity"]
        await private.stop_user_stream()
