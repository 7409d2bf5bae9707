"""How MexcPublicSpotWebsocket's parts are built and wired to each other, in one place.

Decoder, ack tracker, streams, local books, router, connections (pool or replay), subscriptions,
refusal retries and book subscriptions: each is built once here, with what it needs from the
others. :class:`~.public.MexcPublicSpotWebsocket` takes the parts and is the API over them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import aiohttp

from exchanges.config import ExchangeConfig
from exchanges.metrics import MetricsRegistry
from exchanges.recording import Recorder, ReplaySource
from exchanges_mexc.parsing import MexcFrameDecoder
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.settings import mexc_settings
from exchanges_mexc.symbols import MexcSymbolMapper
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.acks import AckTracker
from exchanges_mexc.ws.books import LocalBooks
from exchanges_mexc.ws.dispatch import PublicRouter
from exchanges_mexc.ws.public_books import BookSubscriptions
from exchanges_mexc.ws.public_connections import PublicConnections
from exchanges_mexc.ws.public_refusals import PublicRefusals
from exchanges_mexc.ws.public_streams import PublicStreams
from exchanges_mexc.ws.public_subscriptions import PublicSubscriptions
from exchanges_mexc.ws.recording import snapshot_fetcher


class PublicParts:
    """The wired parts of one public WebSocket (see module doc)."""

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        rest: MexcPublicSpotRest,
        metrics: MetricsRegistry,
        symbol_mapper: MexcSymbolMapper,
        publish_depth: int | None,
        ack_timeout: float | None,
        session: aiohttp.ClientSession | None,
        recorder: Recorder | None,
        replay: ReplaySource | None,
        unsubscribe: Callable[[Sequence[str]], Awaitable[None]],
        closed: Callable[[], bool],
    ) -> None:
        settings = mexc_settings(config)
        self.interval = settings.ws_stream_interval
        ch.validate_interval(self.interval)
        self.decoder = MexcFrameDecoder(symbol_mapper, metrics)
        self.acks = AckTracker(
            metrics,
            prefix="mexc.ws",
            on_rejected=lambda channel, error: self.refusals.on_rejected(channel, error),
            on_ack=lambda channel: self.connections.on_ack(channel),
        )
        ack_timeout = ack_timeout if ack_timeout is not None else max(config.connect_timeout, 1.0)
        m = metrics
        self.streams = PublicStreams(config, m)
        self.books = LocalBooks(
            snapshot_fetcher(rest, recorder=recorder, replay=replay),
            metrics=m,
            stream=self.streams.orderbooks,
            state_stream=self.streams.book_states,
            publish_depth=publish_depth,
            updates=self.streams.book_updates,
        )
        self.router = PublicRouter(
            self.decoder,
            metrics=m,
            books=self.books,
            acks=self.acks,
            trades=self.streams.trades,
            orderbooks=self.streams.orderbooks,
            book_tickers=self.streams.book_tickers,
            tickers=self.streams.tickers,
            klines=self.streams.klines,
            timed_streams=self.streams.all(),  # their directly called handlers are not frame processing
        )
        self.connections = PublicConnections(
            config,
            max_subscriptions=settings.ws_max_subscriptions,
            metrics=m,
            router=self.router,
            books=self.books,
            symbol_mapper=symbol_mapper,
            connection_state_stream=self.streams.connection_states,
            error_stream=self.streams.errors,
            trade_gap_stream=self.streams.trade_gaps,
            end_streams=self.streams.end_with,
            end_replay=self.streams.end_replay,
            ack_timeout=ack_timeout,
            session=session,
            recorder=recorder,
            replay=replay,
        )
        self.pool = self.connections.pool
        self.subscriptions = PublicSubscriptions(
            self.pool,
            acks=self.acks,
            router=self.router,
            symbol_mapper=symbol_mapper,
            ack_timeout=ack_timeout,
            recorder=recorder,
            replay=replay,
        )
        self.refusals = PublicRefusals(
            books=self.books,
            subscriptions=self.subscriptions,
            connections=self.connections,
            symbol_mapper=symbol_mapper,
            metrics=m,
            trade_gaps=self.streams.trade_gaps,
            closed=closed,
            ack_timeout=ack_timeout,
        )
        self.book_subscriptions = BookSubscriptions(
            self.books,
            subscriptions=self.subscriptions,
            connections=self.connections,
            refusals=self.refusals,
            symbol_mapper=symbol_mapper,
            unsubscribe=unsubscribe,
        )
