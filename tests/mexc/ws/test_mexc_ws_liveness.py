"""Liveness as a contract: a silent connection never leaves a book LIVE.

Invariant: when a WebSocket hears nothing (no push, no PONG) for ``ws_liveness_timeout`` seconds,
it is declared dead; every book it feeds leaves LIVE at once (STALE), health reports it, users get
a state-change event per book and per connection, and once the network is back the books go
SYNCING, resync from a snapshot and equal the simulator's books again.

The fault is real: the chaos layer's TCP proxy (``exchanges.testing.chaos.TcpChaosProxy``) sits
between client and simulator; ``go_silent`` stalls every open connection (both sockets stay open,
nothing is forwarded, no FIN, no RST), so only the liveness deadline can notice, and stalls every
new connection as well until ``heal`` (so the client cannot reconnect meanwhile).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from exchanges.config import Credentials
from exchanges.errors import ExchangeConnectionError
from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PrivateStreamHandlers, PublicStreamHandlers
from exchanges.models import BookState, BookStateChange, ConnectionState, ConnectionStateChange, Symbol
from exchanges.strategies import ReconnectionPolicy
from exchanges.testing.chaos import FaultSchedule, TcpChaosProxy, TcpFault
from exchanges_mexc.composite.public import MexcCompositePublicExchange
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim.app import MexcSimulator
from exchanges_mexc.ws.private import MexcPrivateSpotWebsocket
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket
from exchanges_mexc.ws.strategy import MexcConnectionStrategy

from .conftest import assert_books_match, sim_config, wait_until  # type: ignore[import-not-found]

PAIRS = ["BTCUSDT", "ETHUSDT", "C01USDT", "C02USDT"]
SYMBOLS = [Symbol(pair[:-4], "USDT") for pair in PAIRS]
LIVENESS = 1.5


@pytest.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    async with MexcSimulator(symbols=PAIRS, seed=11, market_rate=40.0) as simulator:
        yield simulator


@pytest.fixture
async def relay(sim: MexcSimulator) -> AsyncIterator[TcpChaosProxy]:
    schedule = FaultSchedule(0, tcp={TcpFault.STALL: 1.0}, tcp_after_bytes=(0, 0))
    schedule.calm()  # forwards faithfully until go_silent()
    async with TcpChaosProxy(sim.host, sim.port, schedule) as proxy:
        yield proxy


def ws_url(proxy: TcpChaosProxy, sim: MexcSimulator) -> str:
    return proxy.rewrite(sim.ws_url)


def go_silent(proxy: TcpChaosProxy) -> None:
    """Every open connection goes silent now, and every new one is silent from its first byte."""
    proxy.stall_all()
    proxy.schedule.resume()


def heal(proxy: TcpChaosProxy) -> None:
    """New connections forward again (the silent ones were given up by the client long ago)."""
    proxy.schedule.calm()


async def test_a_silent_socket_takes_every_book_out_of_live_then_resyncs(
    sim: MexcSimulator, relay: TcpChaosProxy
) -> None:
    book_events: list[BookStateChange] = []
    conn_events: list[ConnectionStateChange] = []
    handlers = PublicStreamHandlers(
        book_state_handler=book_events.append, connection_state_handler=conn_events.append
    )
    overrides = {
        "rest_url": sim.rest_url,  # REST stays direct: only the WebSocket goes through the relay
        "ws_url": ws_url(relay, sim),
        "ws_liveness_timeout": LIVENESS,
        "connect_timeout": 1.0,
    }
    factory = FullExchangeFactory(config={}, env={})
    exchange = await factory.create_public_exchange(
        "mexc_spot", SYMBOLS, environment="sim", overrides=overrides
    )
    assert isinstance(exchange, MexcCompositePublicExchange)
    try:
        await exchange.start_orderbook_stream(SYMBOLS, handlers)
        await exchange.wait_orderbook_ready(SYMBOLS, timeout=20)
        assert (await exchange.health_check())["websocket_connectivity"]
        ws = exchange.ws
        frozen = {symbol: ws.books.books[symbol].book.version for symbol in SYMBOLS}

        go_silent(relay)  # the proxy keeps both sockets open and forwards nothing from here on
        stalled_at = asyncio.get_running_loop().time()
        await wait_until(lambda: all(exchange.orderbook_state(s) is not BookState.LIVE for s in SYMBOLS), 30)
        left_live_after = asyncio.get_running_loop().time() - stalled_at
        print(f"books left LIVE {left_live_after:.2f}s after the relay went silent (timeout {LIVENESS}s)")

        # Detected by the liveness deadline (TCP itself reported nothing), at once for every book.
        assert exchange.metrics.value("ws.mexc_public_1.liveness_timeouts") == 1
        assert all(exchange.orderbook_state(s) is BookState.STALE for s in SYMBOLS)
        assert not ws.is_connected()
        status = exchange.stream_status()
        assert set(status["books"].values()) == {"STALE"}
        assert set(status["connections"].values()) == {"RECONNECTING"}
        assert not (await exchange.health_check())["websocket_connectivity"]
        assert not (await exchange.health_check())["overall"]
        assert exchange.metrics.snapshot()["mexc.ws.books.stale"] == len(SYMBOLS)

        # While silent, the market moves on and the frozen books stay out of LIVE.
        await wait_until(
            lambda: all(
                sim.engine.book_levels(p)[2] > (frozen[s] or 0) + 5
                for p, s in zip(PAIRS, SYMBOLS, strict=True)
            )
        )
        assert all(exchange.orderbook_state(s) is BookState.STALE for s in SYMBOLS)

        heal(relay)
        await exchange.wait_orderbook_ready(SYMBOLS, timeout=30)
        await assert_books_match(sim, ws, SYMBOLS)
        assert (await exchange.health_check())["websocket_connectivity"]

        await wait_until(lambda: len(book_events) >= 4 * len(SYMBOLS))
        for symbol in SYMBOLS:
            states = [(e.previous, e.state) for e in book_events if e.symbol == symbol]
            assert states == [
                (BookState.SYNCING, BookState.LIVE),
                (BookState.LIVE, BookState.STALE),
                (BookState.STALE, BookState.SYNCING),
                (BookState.SYNCING, BookState.LIVE),
            ], symbol
            stale = next(e for e in book_events if e.symbol == symbol and e.state is BookState.STALE)
            assert stale.reason == "connection lost"
        lost = [e for e in conn_events if e.state is ConnectionState.RECONNECTING]
        assert len(lost) == 1
        assert isinstance(lost[0].error, ExchangeConnectionError)
        assert "silent" in str(lost[0].error)
        assert conn_events[-1].state is ConnectionState.CONNECTED
        assert exchange.metrics.value("mexc.ws.connection_states") == len(conn_events)
    finally:
        await exchange.close()


async def test_the_private_stream_has_the_same_deadline_then_reconciles(
    sim: MexcSimulator, relay: TcpChaosProxy
) -> None:
    account = sim.create_account({"USDT": "100000", "BTC": "10"})

    # A user stream is quiet (only PONGs answer the probes): a longer deadline keeps a loaded test
    # machine's scheduling delays from looking like silence.
    config = sim_config(sim, ws_url=ws_url(relay, sim), ws_liveness_timeout=3.0, connect_timeout=1.0)
    states: list[ConnectionStateChange] = []
    async with (
        MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key)) as rest,
        MexcPrivateSpotWebsocket(
            config, rest=rest, handlers=PrivateStreamHandlers(connection_state_handler=states.append)
        ) as ws,
    ):
        assert ws.is_connected()
        before = ws.metrics.value("ws.mexc_private.liveness_timeouts")
        go_silent(relay)
        await wait_until(lambda: not ws.is_connected(), 30)
        assert ws.metrics.value("ws.mexc_private.liveness_timeouts") == before + 1
        await wait_until(lambda: any(s.state is ConnectionState.RECONNECTING for s in states))
        heal(relay)
        await wait_until(
            lambda: ws.is_connected() and ws.metrics.value("mexc.ws.private.reconciliations") >= 1, 30
        )
        assert states[-1].state is ConnectionState.CONNECTED


async def test_a_stream_that_gives_up_tells_the_user(sim: MexcSimulator, relay: TcpChaosProxy) -> None:
    """Terminal state: with a reconnection policy that limits attempts, a connection that cannot
    come back is FAILED: the error handler gets the error once, iterators raise it, books are
    STALE, health says disconnected, and no task of that connection keeps running."""
    config = sim_config(sim, ws_url=ws_url(relay, sim), ws_liveness_timeout=LIVENESS, connect_timeout=0.5)
    errors: list[BaseException] = []
    async with (
        MexcPublicSpotRest(config) as rest,
        MexcPublicSpotWebsocket(
            config, rest=rest, handlers=PublicStreamHandlers(error_handler=errors.append)
        ) as ws,
    ):
        ws._connections.strategy = MexcConnectionStrategy(  # a policy that gives up after two attempts
            config, policy=ReconnectionPolicy(max_attempts=2, initial_delay=0.05, max_delay=0.1)
        )
        await ws.subscribe_orderbook(SYMBOLS[:2])
        await ws.wait_orderbook_ready(SYMBOLS[:2], timeout=20)
        books = ws.orderbooks()
        go_silent(relay)  # silent, and every reconnect attempt's handshake times out
        async with asyncio.timeout(30):
            with pytest.raises(ExchangeConnectionError, match="gave up after 2 reconnect attempts"):
                async for _ in books:
                    pass
        await wait_until(lambda: len(errors) == 1)
        assert isinstance(errors[0], ExchangeConnectionError)
        assert ws.error is errors[0]
        assert not ws.is_connected()
        assert all(ws.orderbook_state(s) is BookState.STALE for s in SYMBOLS[:2])
        (conn,) = ws.connections
        assert conn.state is ConnectionState.FAILED
        assert all(task.done() for task in conn._tasks)


async def test_quiet_books_are_live_again_soon_after_a_silent_socket_reconnects(
    sim: MexcSimulator, relay: TcpChaosProxy
) -> None:
    """A quiet market (no depth push at all) must not keep a book out of LIVE after a reconnect:
    with the subscription confirmed and nothing buffered, the new snapshot stands (book_sync's rule)."""
    overrides = {
        "rest_url": sim.rest_url,
        "ws_url": ws_url(relay, sim),
        "ws_liveness_timeout": LIVENESS,
        "connect_timeout": 1.0,
    }
    factory = FullExchangeFactory(config={}, env={})
    exchange = await factory.create_public_exchange(
        "mexc_spot", SYMBOLS, environment="sim", overrides=overrides
    )
    assert isinstance(exchange, MexcCompositePublicExchange)
    try:
        await exchange.start_orderbook_stream(SYMBOLS)
        await exchange.wait_orderbook_ready(SYMBOLS, timeout=20)
        ws = exchange.ws
        sim.market.pause()  # from here on no depth push: the market is quiet
        go_silent(relay)
        await wait_until(lambda: all(exchange.orderbook_state(s) is BookState.STALE for s in SYMBOLS), 30)
        sim.market.run_events(3)  # the book moves once while the client is away, then stays quiet
        heal(relay)
        await exchange.wait_orderbook_ready(SYMBOLS, timeout=8)  # a quiet market used to take 20 s+
        await assert_books_match(sim, ws, SYMBOLS)
    finally:
        sim.market.resume()
        await exchange.close()


async def test_a_book_subscribed_on_a_quiet_market_goes_live_without_waiting_for_a_push(
    sim: MexcSimulator, relay: TcpChaosProxy
) -> None:
    """Subscribed (confirmed) while nothing trades: the snapshot stands at once, and the book then
    follows the market exactly (the next push is checked against the snapshot's version)."""
    config = sim_config(sim, ws_url=ws_url(relay, sim), ws_liveness_timeout=LIVENESS)
    rest = MexcPublicSpotRest(config)
    ws = MexcPublicSpotWebsocket(config, rest=rest)
    sim.market.pause()
    try:
        await ws.start()
        await ws.subscribe_orderbook(SYMBOLS)
        async with asyncio.timeout(8):  # a quiet symbol used to stay SYNCING until its next push
            for symbol in SYMBOLS:
                await ws.books.books[symbol].wait_live()
        sim.market.run_events(20)
        await assert_books_match(sim, ws, SYMBOLS)
    finally:
        sim.market.resume()
        await ws.close()
        await rest.close()
