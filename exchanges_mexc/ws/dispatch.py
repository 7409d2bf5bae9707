"""Routing of decoded public frames: books, de-duplicated streams and subscription acks.

Runs on the transport's dispatch task, once per frame: ``MexcFrameDecoder.decode`` turns the frame
into model records, and the records go by type to their consumer, **one frame at a time**: one MEXC
push has one body, so the records of a frame share one type (and one symbol), and a frame's trades
are de-duplicated and handed to the stream together (one wake-up of the handler's task per frame).
Everything here is synchronous and cheap; iterators and async handlers consume on their own tasks,
a plain-function handler that keeps up is called directly (:mod:`exchanges.streams`).

Trade de-duplication runs only while frames may repeat (see :class:`PublicRouter`); in the steady
state a frame's trades are only remembered in a short ring of recent frames.

Processing time is sampled, not measured on every frame (:func:`sampled_frame_handler`, used by the
public and the private client): the first frame and then every ``FRAME_SAMPLE_EVERY``-th frame is
timed with ``time.perf_counter`` into the ``mexc.ws.frame_processing`` histogram (decode + routing +
book update + hand-off to the consumers; not the handlers themselves: those a stream calls directly
run inside the window and their time, ``EventStream.handler_seconds``, is subtracted).
``get_performance_metrics()``' ``message_processing_time_avg_ms`` reads it.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Sequence
from typing import Any

from exchanges.metrics import Counter, LatencyHistogram, MetricsRegistry
from exchanges.models import BookTicker, BookUpdate, Kline, OrderBook, Ticker, Trade
from exchanges.streams import EventStream
from exchanges.transport.ws import FrameHandler
from exchanges_mexc.parsing import ControlMessage, MexcFrameDecoder
from exchanges_mexc.ws.acks import AckTracker
from exchanges_mexc.ws.books import LocalBooks
from exchanges_mexc.ws.dedupe import TradeDeduper, VersionGate

FRAME_PROCESSING = "mexc.ws.frame_processing"
"""Histogram (seconds): time from a frame reaching the dispatcher to its records being routed (sampled)."""
FRAME_SAMPLE_EVERY = 64
"""One frame in this many is timed (a power of two: the test is a bit mask)."""
_SAMPLE_MASK = FRAME_SAMPLE_EVERY - 1
RECENT_TRADE_FRAMES = 1024
"""Trade frames remembered outside overlap windows, to seed the de-duplication when one opens."""


def sampled_frame_handler(
    route: FrameHandler,
    frames: Counter,
    processing: LatencyHistogram,
    streams: Sequence[EventStream[Any]] = (),
) -> FrameHandler:
    """The transport's ``on_frame``: counts every frame in ``frames`` and passes it to ``route``;
    the first frame and every ``FRAME_SAMPLE_EVERY``-th one is timed into ``processing``, minus the
    time ``streams`` spent in handlers they called directly (handlers are not frame processing)."""
    clock = time.perf_counter
    record = processing.record

    def in_handlers() -> float:
        return sum(stream.handler_seconds for stream in streams)

    def on_frame(frame: bytes | str) -> None:
        frames.value += 1
        if (frames.value - 1) & _SAMPLE_MASK:
            route(frame)
            return
        handled = in_handlers()
        started = clock()
        try:
            route(frame)
        finally:
            record(clock() - started - (in_handlers() - handled))

    return on_frame


class PublicRouter:
    """Frame -> events -> consumer, with de-duplication of rotation/reconnect overlaps.

    When trades are de-duplicated (by ``tradeId``, see :mod:`.dedupe`): only while the same trade can
    arrive twice, i.e. while a connection's overlap window is open (``overlap(True)`` ..
    ``overlap(False)`` from the transport: a rotation, or a reconnect after a lost socket, plus a
    grace period) or always when ``dedupe_always`` is set (a symbol's trades are subscribed on two
    channels, e.g. two intervals). Outside those windows no trade can be a repeat, so every trade is
    passed on and the frame is only appended to a ring of the last ``RECENT_TRADE_FRAMES`` frames;
    when a window opens, the ring's trades seed the de-duplication (a reconnected socket may push
    again what the lost one delivered last), and from then on every trade is checked and remembered.

    Metrics: ``mexc.ws.frames`` (frames seen), ``mexc.ws.trades.duplicates``,
    ``mexc.ws.book_tickers.stale``, ``mexc.ws.unrouted`` (records no consumer takes), histogram
    ``mexc.ws.frame_processing`` (sampled, see the module docstring).
    """

    def __init__(
        self,
        decoder: MexcFrameDecoder,
        *,
        metrics: MetricsRegistry,
        books: LocalBooks,
        acks: AckTracker,
        trades: EventStream[Trade],
        orderbooks: EventStream[OrderBook],
        book_tickers: EventStream[BookTicker],
        tickers: EventStream[Ticker],
        klines: EventStream[Kline],
        timed_streams: Sequence[EventStream[Any]] = (),
    ) -> None:
        self._decode = decoder.decode
        self._trades = trades
        self._on_depth = books.on_depth
        self._on_control = acks.handle
        self._book_tickers = book_tickers
        self.trade_dedupe = TradeDeduper()
        self._dedupe_always = False
        self._overlaps = 0  # connections whose overlap window is open
        self._recent_trades: collections.deque[list[Trade]] = collections.deque(maxlen=RECENT_TRADE_FRAMES)
        self._m_overlaps = metrics.counter("mexc.ws.trades.dedupe_windows")
        self.ticker_gate = VersionGate()
        self._m_trade_dups = metrics.counter("mexc.ws.trades.duplicates")
        self._m_stale_tickers = metrics.counter("mexc.ws.book_tickers.stale")
        self._m_unrouted = metrics.counter("mexc.ws.unrouted")
        # Each route takes all records of one frame (a list of one type).
        self._routes: dict[type, Callable[[list[Any]], None]] = {
            Trade: self._on_trades,
            BookUpdate: self._on_depths,
            OrderBook: orderbooks.publish_many,
            BookTicker: self._on_book_tickers,
            Ticker: tickers.publish_many,
            Kline: klines.publish_many,
            ControlMessage: self._on_controls,
        }

        self.on_frame = sampled_frame_handler(
            self._route_frame,
            metrics.counter("mexc.ws.frames"),
            metrics.histogram(FRAME_PROCESSING),
            streams=timed_streams or (trades, orderbooks, book_tickers, tickers, klines),
        )
        """The transport's ``on_frame``: decode and route (bad frames are counted by the decoder)."""

    def _route_frame(self, frame: bytes | str) -> None:
        events = self._decode(frame)
        if events:
            route = self._routes.get(type(events[0]))
            if route is None:
                self._m_unrouted.value += len(events)
            else:
                route(events)

    @property
    def deduplicating(self) -> bool:
        """True while every trade is checked against the recent ones (see the class docstring)."""
        return self._overlaps > 0 or self._dedupe_always

    @property
    def dedupe_always(self) -> bool:
        """De-duplicate every trade, overlap or not (a symbol's trades arrive on several channels)."""
        return self._dedupe_always

    @dedupe_always.setter
    def dedupe_always(self, value: bool) -> None:
        if value and not self.deduplicating:
            self.seed_dedupe()
        self._dedupe_always = value

    def overlap(self, open_: bool) -> None:
        """A connection's overlap window opened (True) or closed (False): the transport's ``on_overlap``."""
        was = self.deduplicating
        self._overlaps = self._overlaps + 1 if open_ else max(self._overlaps - 1, 0)
        if open_ and not was:
            self._m_overlaps.inc()
            self.seed_dedupe()

    def seed_dedupe(self) -> None:
        """Remember the trades of the recent frames before de-duplication starts (idempotent)."""
        remember = self.trade_dedupe.remember
        for trades in self._recent_trades:
            remember(trades)
        self._recent_trades.clear()

    def _on_trades(self, trades: list[Trade]) -> None:
        if self._overlaps or self._dedupe_always:
            fresh = self.trade_dedupe.filter_new(trades)
            if fresh is not trades:
                self._m_trade_dups.value += len(trades) - len(fresh)
            self._trades.publish_many(fresh)
        else:
            self._recent_trades.append(trades)
            self._trades.publish_many(trades)

    def _on_depths(self, updates: list[BookUpdate]) -> None:
        on_depth = self._on_depth
        for update in updates:
            on_depth(update)

    def _on_controls(self, controls: list[ControlMessage]) -> None:
        for control in controls:
            self._on_control(control)

    def _on_book_tickers(self, tickers: list[BookTicker]) -> None:
        """One push's tickers share one symbol and one version (a ``bookTicker.batch`` is one
        versioned unit): the frame is passed on whole if its version is new, else dropped whole."""
        first = tickers[0]
        if self.ticker_gate.is_new(first.symbol, first.version):
            self._book_tickers.publish_many(tickers)
        else:
            self._m_stale_tickers.value += len(tickers)
