"""A subscription refused because the server counts its connection as full is retried elsewhere.

MEXC answers a channel beyond a connection's 30 with ``Blocked``. If the server counts one more
channel on a connection than the client's pool does (a server-side rule change, a channel the
server kept), every retry the pool places on that connection is refused again: a refused book
would stay STALE forever (late refusal) or the caller's retry would fail forever (awaited
refusal). The pool gives a connection that refused a channel no further channel, so the retry
lands on another connection. The simulator plays the server: its per-connection limit is lowered
to make it count the connection as full.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import attrs
import pytest

from exchanges.errors import SubscriptionError
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, Symbol
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim.app import MexcSimulator
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket

from .conftest import assert_books_match, sim_config, wait_until  # type: ignore[import-not-found]

PAIRS = ["BTCUSDT", "ETHUSDT"]
BTC, ETH = (Symbol(pair[:-4], "USDT") for pair in PAIRS)


@asynccontextmanager
async def client(server_limit: int) -> AsyncIterator[tuple[MexcSimulator, MexcPublicSpotWebsocket]]:
    """A moving simulator allowing ``server_limit`` channels per connection; a client allowing 30."""
    async with MexcSimulator(symbols=PAIRS, seed=3, market_rate=40.0, max_subscriptions=server_limit) as sim:
        config = sim_config(sim)
        metrics = MetricsRegistry()
        async with (
            MexcPublicSpotRest(config, metrics=metrics) as rest,
            MexcPublicSpotWebsocket(config, rest=rest, metrics=metrics) as ws,
        ):
            yield sim, ws


async def test_a_refused_subscription_is_retried_on_another_connection() -> None:
    async with client(server_limit=1) as (sim, ws):
        await ws.subscribe_orderbook([BTC])
        with pytest.raises(SubscriptionError, match="Blocked"):
            await ws.subscribe_orderbook([ETH])  # the pool's first connection: full on the server
        await wait_until(lambda: ws.metrics.value("mexc.ws.subscriptions_rejected") == 1)
        await ws._subscriptions.forgotten()

        await ws.subscribe_orderbook([ETH])  # the caller's retry: a new connection, accepted
        assert len(ws.connections) == 2
        assert ws.connection_for(next(c for c in ws.subscriptions if "ETH" in c)) is ws.connections[1]
        await ws.wait_orderbook_ready([BTC, ETH], timeout=20)
        await assert_books_match(sim, ws, [BTC, ETH])
        assert ws.metrics.value("mexc.ws.subscriptions_rejected") == 1


async def test_a_re_subscription_refused_after_a_reconnect_comes_back_on_another_connection() -> None:
    async with client(server_limit=2) as (sim, ws):
        await ws.subscribe_orderbook([BTC, ETH])  # both on one connection
        await ws.wait_orderbook_ready([BTC, ETH], timeout=20)
        assert len(ws.connections) == 1

        sim.ws.settings = attrs.evolve(sim.ws.settings, max_subscriptions=1)  # the server's rule changed
        sim.faults.drop_connections()  # the reconnect re-sends both channels; nobody awaits the answers
        await wait_until(lambda: ws.metrics.value("mexc.ws.subscriptions_rejected") >= 1, within=20)
        refused = [s for s in (BTC, ETH) if ws.books.books[s].state is BookState.STALE]
        assert len(refused) == 1  # visibly not LIVE: its channel has no stream behind it

        await ws.wait_orderbook_ready([BTC, ETH], timeout=30)  # retried (1 s backoff) elsewhere
        assert len(ws.connections) == 2
        await assert_books_match(sim, ws, [BTC, ETH])
        assert ws.metrics.value("mexc.ws.subscriptions_rejected") == 1  # not refused again


async def test_a_trade_channel_refused_after_a_reconnect_counts_a_gap_and_comes_back() -> None:
    async with client(server_limit=2) as (sim, ws):
        gaps = ws.trade_gaps()
        await ws.subscribe_trades([BTC, ETH])  # both on one connection
        assert len(ws.connections) == 1

        sim.ws.settings = attrs.evolve(sim.ws.settings, max_subscriptions=1)  # the server's rule changed
        sim.faults.drop_connections()  # the reconnect re-sends both channels; nobody awaits the answers
        await wait_until(lambda: ws.metrics.value("mexc.ws.subscriptions_rejected") >= 1, within=20)
        refusal = None
        while refusal is None:  # the reconnect's own gap markers come first
            gap = await asyncio.wait_for(anext(gaps), 20)
            refusal = gap if "refused" in gap.reason else None
        refused = refusal.symbol

        await wait_until(lambda: len(ws.connections) == 2, within=30)  # retried (1 s backoff) elsewhere
        trades = ws.trades(refused)
        first = await asyncio.wait_for(anext(trades), 30)  # its trades flow again
        assert first.symbol == refused
        assert ws.metrics.value("mexc.ws.subscriptions_rejected") == 1  # not refused again
