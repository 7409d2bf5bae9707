"""Routing of decoded public frames: books, de-duplicated streams and subscription acks.

Runs on the transport's dispatch task, once per frame: ``MexcFrameDecoder.decode`` turns the frame
into model records, and each record goes by type to its consumer. Everything here is synchronous
and cheap; handlers and iterators consume on their own tasks (:mod:`.streams`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exchanges.metrics import MetricsRegistry
from exchanges.models import BookTicker, BookUpdate, Kline, OrderBook, Ticker, Trade
from exchanges_mexc.parsing import ControlMessage, MexcFrameDecoder
from exchanges_mexc.ws.acks import AckTracker
from exchanges_mexc.ws.books import BookManager
from exchanges_mexc.ws.dedupe import TradeDeduper, VersionGate
from exchanges_mexc.ws.streams import EventStream


class PublicRouter:
    """Frame -> events -> consumer, with de-duplication of rotation/reconnect overlaps.

    Metrics: ``mexc.ws.frames`` (frames seen), ``mexc.ws.trades.duplicates``,
    ``mexc.ws.book_tickers.stale``, ``mexc.ws.unrouted`` (records no consumer takes).
    """

    def __init__(
        self,
        decoder: MexcFrameDecoder,
        *,
        metrics: MetricsRegistry,
        books: BookManager,
        acks: AckTracker,
        trades: EventStream[Trade],
        orderbooks: EventStream[OrderBook],
        book_tickers: EventStream[BookTicker],
        tickers: EventStream[Ticker],
        klines: EventStream[Kline],
    ) -> None:
        self._decode = decoder.decode
        self._trades = trades
        self._book_tickers = book_tickers
        self.trade_dedupe = TradeDeduper()
        self.ticker_gate = VersionGate()
        self._m_frames = metrics.counter("mexc.ws.frames")
        self._m_trade_dups = metrics.counter("mexc.ws.trades.duplicates")
        self._m_stale_tickers = metrics.counter("mexc.ws.book_tickers.stale")
        self._m_unrouted = metrics.counter("mexc.ws.unrouted")
        self._routes: dict[type, Callable[[Any], None]] = {
            Trade: self._on_trade,
            BookUpdate: books.on_depth,
            OrderBook: orderbooks.publish,
            BookTicker: self._on_book_ticker,
            Ticker: tickers.publish,
            Kline: klines.publish,
            ControlMessage: acks.handle,
        }

    def on_frame(self, frame: bytes | str) -> None:
        """The transport's ``on_frame``: decode and route (bad frames are counted by the decoder)."""
        self._m_frames.value += 1
        routes = self._routes
        for event in self._decode(frame):
            route = routes.get(type(event))
            if route is None:
                self._m_unrouted.value += 1
            else:
                route(event)

    def _on_trade(self, trade: Trade) -> None:
        if self.trade_dedupe.is_new(trade):
            self._trades.publish(trade)
        else:
            self._m_trade_dups.value += 1

    def _on_book_ticker(self, ticker: BookTicker) -> None:
        if self.ticker_gate.is_new(ticker.symbol, ticker.version):
            self._book_tickers.publish(ticker)
        else:
            self._m_stale_tickers.value += 1
