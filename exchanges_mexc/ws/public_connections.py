"""The public streams' connections: the socket pool (or a replay), and what losing one means.

:class:`PublicConnections` owns the :class:`~exchanges.transport.ws.WebSocketPool` (a
:class:`~.replay.ReplayPool` when replaying), makes each connection (frames to the router, the
recording tap, the connection-state watcher, added listeners), and reacts to a connection's fate:
lost, silent or failed -> the books it carries leave LIVE at once; reconnected -> those books resync
and the trade channels it carried count a possible gap; failed for good -> ``error`` is set, the
error stream gets it once and the data streams end with it.

Liveness: every connection must hear something (a push or a PONG) within
``config.ws_liveness_timeout`` seconds (PINGs are sent when it is quiet). The moment a connection is
lost, declared silent, or gives up, the books whose depth channel it carries go STALE (they leave
LIVE at once) and a ``ConnectionStateChange`` is published (``connection_state_handler``,
``connection_states()``); after the reconnect those books go SYNCING and resync from a REST
snapshot taken once MEXC acknowledges the re-sent depth channel (or it pushes; after the ack
timeout at the latest), then LIVE; a refused re-subscription leaves the book STALE and is retried
(:mod:`.book_retries`). Every book state change is a
``BookStateChange`` (``book_state_handler``, ``book_states()``). A connection that gives up for good
(state FAILED) calls ``error_handler`` once with the error.
Rotations (``config.ws_max_lifetime``) lose nothing; their overlap is de-duplicated.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

import aiohttp

from exchanges.config import ExchangeConfig
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookState, ConnectionState, ConnectionStateChange, Symbol, TradeGap
from exchanges.recording import Recorder, ReplaySource
from exchanges.streams import EventStream
from exchanges.transport.ws import ReconnectingWebSocket, WebSocketPool, WsListener, WsOptions
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.books import LocalBooks
from exchanges_mexc.ws.codec import MAX_PARAMS_PER_REQUEST, MexcSubscriptionCodec, is_ack_frame
from exchanges_mexc.ws.connection_events import ConnectionWatcher
from exchanges_mexc.ws.dispatch import PublicRouter
from exchanges_mexc.ws.public_subscriptions import needs_trade_dedupe
from exchanges_mexc.ws.recording import MexcReplaySink
from exchanges_mexc.ws.replay import ReplayPool
from exchanges_mexc.ws.strategy import MexcConnectionStrategy

__all__ = ["PublicConnections"]

logger = logging.getLogger("exchanges.mexc.ws.public")


class PublicConnections:
    """The connections of one public client and their loss/reconnect handling (one owner: the client)."""

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        max_subscriptions: int,
        metrics: MetricsRegistry,
        router: PublicRouter,
        books: LocalBooks,
        symbol_mapper: MexcSymbolMapper,
        connection_state_stream: EventStream[ConnectionStateChange],
        error_stream: EventStream[BaseException],
        trade_gap_stream: EventStream[TradeGap],
        end_streams: Callable[[BaseException], Coroutine[Any, Any, None]],
        end_replay: Callable[[], Awaitable[None]],
        ack_timeout: float,
        session: aiohttp.ClientSession | None = None,
        recorder: Recorder | None = None,
        replay: ReplaySource | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics
        self._router = router
        self.books = books
        self.symbol_mapper = symbol_mapper
        self.connection_state_stream = connection_state_stream
        self.error_stream = error_stream
        self.trade_gap_stream = trade_gap_stream
        self._end_streams = end_streams
        self._end_replay_streams = end_replay
        self.ack_timeout = ack_timeout
        """How long a book waits for its re-sent depth channel's acknowledgement after a reconnect."""
        self._session = session
        self._recorder = recorder
        self._replay = replay
        self.strategy = MexcConnectionStrategy(config, name="mexc_public")
        """Reconnection policy of every connection made from now on."""
        self.pool: WebSocketPool[ReconnectingWebSocket] | ReplayPool = (
            WebSocketPool(self._new_connection, max_subscriptions)
            if replay is None
            else ReplayPool(replay, self._start_replay)
        )
        self._conn_numbers = itertools.count(1)
        self._m_reconnects = metrics.counter("mexc.ws.reconnects")
        self._m_trade_gaps = metrics.counter("mexc.ws.trades.possible_gaps")
        self._m_conn_changes = metrics.counter("mexc.ws.connection_states")
        self._listeners: list[WsListener] = []
        self._failing: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        """Why a connection gave up for good (None while every connection is running)."""

    async def close(self) -> None:
        """Let a give-up finish ending the streams, then close every connection."""
        if self._failing is not None and not self._failing.done():
            await asyncio.wait([self._failing])
        await self.pool.close()

    def _start_replay(self) -> None:
        """Feed the recording (every recorded depth channel gets its book first, see ReplayPool)."""
        assert self._replay is not None
        assert isinstance(self.pool, ReplayPool)
        if self._replay.started:
            return
        recorded = sorted(self.pool.recorded_channels)
        for channel in recorded:
            parsed = ch.parse_channel(channel)
            if parsed.kind is ch.ChannelKind.AGGRE_DEPTH and parsed.pair:
                self.books.add(self.symbol_mapper.to_symbol(parsed.pair))
        self.books.subscribed(list(self.books.books))  # ask as live did: the feed hands it over
        self._router.dedupe_always = needs_trade_dedupe(recorded)
        sink = MexcReplaySink(
            on_frame=self._router.on_frame,
            on_overlap=self._router.overlap,
            on_reconnected=self._after_reconnect,
            on_lost=self._books_lost,
            books=self.books,
            on_end=self._end_replay_streams,
        )
        self._replay.start(sink)

    def _new_connection(self) -> ReconnectingWebSocket:
        """One pooled connection: frames to the router (through the recording tap when recording)."""
        number = next(self._conn_numbers)
        conn: ReconnectingWebSocket

        async def on_connected() -> None:
            await self._on_connected(conn)

        options = WsOptions(
            max_queue_size=self.config.ws_max_queue_size,
            overflow_policy=self.config.ws_overflow_policy,
            max_channels_per_message=MAX_PARAMS_PER_REQUEST,
            ready_check=is_ack_frame,
            liveness_timeout=self.config.ws_liveness_timeout,
        )
        name = f"mexc_public_{number}"
        on_frame = self._router.on_frame
        on_overlap: Callable[[bool], None] = self._router.overlap
        tap = None
        if self._recorder is not None:  # the recording tap: this connection's listener
            tap = self._recorder.connection(name, lambda: conn.subscriptions)
            on_frame = tap.wrap(on_frame)
            route_overlap = on_overlap

            def tapped_overlap(active: bool) -> None:
                tap_ = tap
                assert tap_ is not None
                tap_.on_overlap(active)
                route_overlap(active)

            on_overlap = tapped_overlap
        conn = ReconnectingWebSocket(
            self.config.ws_url,
            name=name,
            on_frame=on_frame,
            codec=MexcSubscriptionCodec(),
            strategy=self.strategy,
            metrics=self.metrics,
            options=options,
            on_connected=on_connected,
            on_overlap=on_overlap,
            session=self._session,
        )
        ConnectionWatcher(self.connection_state_stream, self._m_conn_changes, self._on_lost).attach(conn)
        for listener in self._listeners:
            conn.add_listener(listener)
        if tap is not None:
            conn.add_listener(tap)  # after the watcher: its record follows the books' state change
        return conn

    def add_listener(self, listener: WsListener) -> None:
        """Attach ``listener`` (e.g. a recorder's frame tap) to every connection, now and future."""
        self._listeners.append(listener)
        for conn in self.pool.connections:
            conn.add_listener(listener)

    def _depth_symbols(self, channels: Iterable[str]) -> list[Symbol]:
        """The symbols whose local book is fed by ``channels`` (one connection's), in channel order
        (not set order: a replay must touch them in the same order as live)."""
        parsed = [ch.parse_channel(channel) for channel in sorted(channels)]
        pairs = [c.pair for c in parsed if c.kind is ch.ChannelKind.AGGRE_DEPTH and c.pair]
        return [symbol for symbol in map(self.symbol_mapper.to_symbol, pairs) if symbol in self.books]

    def books_fed_by(self, channel: str) -> list[Symbol]:
        """The symbols whose local book ``channel`` feeds (none unless it is a depth channel)."""
        return self._depth_symbols((channel,))

    def on_ack(self, channel: str) -> None:
        """MEXC acknowledged ``channel``: a book waiting for its depth channel fetches its snapshot now."""
        if channel not in self.pool.subscriptions:
            return  # not ours (the echo of an unsubscription, or of an unexpected name)
        for symbol in self._depth_symbols((channel,)):
            self.books.confirmed(symbol)

    def _on_lost(self, conn: ReconnectingWebSocket, state: ConnectionState) -> None:
        """A connection was lost, went silent or gave up: its books leave LIVE now, and resync only
        once MEXC confirms their channel on the next socket (see ``_on_connected``)."""
        reason = "connection failed" if state is ConnectionState.FAILED else "connection lost"
        self._books_lost(conn.subscriptions, reason)
        self.books.expect_resubscription(self._depth_symbols(conn.subscriptions))
        if state is ConnectionState.FAILED and conn.error is not None and self._failing is None:
            logger.error("%s gave up: %s", conn.name, conn.error)
            self.error = conn.error
            self.error_stream.publish(conn.error)
            self._failing = asyncio.get_running_loop().create_task(
                self._end_streams(conn.error), name="mexc-public-failed"
            )

    def _books_lost(self, channels: Iterable[str], reason: str) -> None:
        """The connection carrying ``channels`` is lost: its books leave LIVE (also run by a replay)."""
        self.books.mark_stale(self._depth_symbols(channels), reason)

    async def _on_connected(self, conn: ReconnectingWebSocket) -> None:
        """After a reconnect: resync the books this connection carries, and say which trade streams
        may have a hole (MEXC does not replay pushes, and REST trades carry no id to back-fill by)."""
        if not conn.subscriptions:
            return  # a new connection: nothing was subscribed on it before
        # The transport re-sent the subscriptions without waiting for MEXC: each book fetches its
        # snapshot once its channel is acknowledged or pushes (``on_ack``), else after the ack timeout.
        self._after_reconnect(conn.subscriptions, conn.name, confirm_within=self.ack_timeout)

    def _after_reconnect(
        self,
        channels: frozenset[str],
        name: str = "replayed connection",
        *,
        confirm_within: float | None = None,
    ) -> None:
        """Frames of ``channels`` were lost: resync their LIVE books, count possible trade gaps.

        ``confirm_within``: wait that long at most for each depth channel's acknowledgement before
        fetching its snapshot (None, as in a replay: fetch now)."""
        self._m_reconnects.inc()
        parsed = [ch.parse_channel(channel) for channel in channels]
        traded = sorted({c.pair for c in parsed if c.kind is ch.ChannelKind.AGGRE_DEALS and c.pair})
        if traded:
            self._m_trade_gaps.inc(len(traded))
            now_ms = int(time.time() * 1000)
            for pair in traded:
                gap = TradeGap(self.symbol_mapper.to_symbol(pair), now_ms, f"{name} reconnected")
                self.trade_gap_stream.publish(gap)
            logger.warning(
                "%s reconnected: trades of %s pushed while it was down may be missing",
                name,
                ", ".join(traded),
            )
        stale = [
            symbol
            for symbol in self._depth_symbols(channels)
            if self.books.books[symbol].state is not BookState.SYNCING
        ]
        logger.debug("%s reconnected; resyncing %d local books", name, len(stale))
        self.books.invalidate(stale, confirm_within=confirm_within)
