"""BusPublisher: normalized events -> JetStream, each with a de-duplication id, acks tracked.

Publishing is pipelined (``publish_async``): the gateway never waits for one ack before sending
the next event, but every ack is accounted for: ``bus.publish.acked`` / ``duplicates`` (stored
once already, e.g. by the other gateway during a hand-over) / ``failed`` (no ack within
``ack_timeout`` or an error: the NATS server was unreachable). A trade that failed marks its
symbol; once acks flow again, a gap marker is published on ``md.<exchange>.gap.<symbol>`` so
consumers count the possible loss instead of missing it silently. Lost book deltas need no marker:
consumers see the version gap and resync from the snapshot bucket.

Book snapshots go to the ``md_<exchange>_books`` KV bucket (the latest per symbol), where a new or
resyncing consumer reads them.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time

from nats.js.api import PubAck

from exchanges.metrics import MetricsRegistry
from exchanges.models import BookTicker, BookUpdate, Kline, OrderBook, Symbol, Ticker, Trade

from ._connection import BusConnection, BusObjects
from ._subjects import (
    Subjects,
    book_msg_id,
    book_ticker_msg_id,
    kline_channel,
    kline_msg_id,
    symbol_token,
    ticker_msg_id,
    trade_msg_id,
)
from .parsing import _events as codec

logger = logging.getLogger("exchanges.bus.publisher")

MSG_ID = "Nats-Msg-Id"
PUBLISHED = ("book", "trade", "ticker", "book_ticker", "kline", "gap")
"""Counted channels (``bus.publish.<channel>``): every candle width counts as ``kline``."""


class BusPublisher:
    """Publishes one gateway's events (see module doc)."""

    def __init__(
        self,
        connection: BusConnection,
        objects: BusObjects,
        subjects: Subjects,
        *,
        gateway_id: str,
        metrics: MetricsRegistry,
        ack_timeout: float = 5.0,
    ) -> None:
        self._conn = connection
        self._objects = objects
        self.subjects = subjects
        self.gateway_id = gateway_id
        self._ack_timeout = ack_timeout
        self._pending: collections.deque[tuple[float, asyncio.Future[PubAck], str | None]] = (
            collections.deque()
        )
        self._trade_gaps: set[Symbol] = set()
        self._gap_numbers = 0
        m = metrics
        self._m_sent = {ch: m.counter(f"bus.publish.{ch}") for ch in PUBLISHED}
        self._m_acked = m.counter("bus.publish.acked")
        self._m_dupes = m.counter("bus.publish.duplicates")
        self._m_failed = m.counter("bus.publish.failed")
        self._m_snapshots = m.counter("bus.publish.snapshots")
        self._m_snapshot_errors = m.counter("bus.publish.snapshot_errors")
        self._m_ack = m.histogram("bus.publish.ack_latency")
        self._m_lag = m.histogram("bus.publish.exchange_lag")
        self._g_pending = m.gauge("bus.publish.pending")

    @property
    def failed(self) -> int:
        return self._m_failed.value

    def sent(self, channel: str) -> int:
        return self._m_sent[channel].value

    # ------------------------------------------------------------------ events

    async def book_delta(self, update: BookUpdate) -> None:
        now = time.time() * 1000
        data = codec.encode_book_delta(update, self.gateway_id, now)
        mid = book_msg_id(self.subjects.exchange, update.symbol, update.first_version, update.last_version)
        await self._send("book", update.symbol, data, mid, None)

    async def trade(self, trade: Trade) -> None:
        now = time.time() * 1000
        self._m_lag.record(max(0.0, now - trade.timestamp) / 1000)
        data = codec.encode_trade(trade, self.gateway_id, now)
        mid = trade_msg_id(self.subjects.exchange, trade.symbol, trade.trade_id, codec.trade_key(trade))
        await self._send("trade", trade.symbol, data, mid, symbol_token(trade.symbol))

    async def ticker(self, ticker: Ticker) -> None:
        now = time.time() * 1000
        data = codec.encode_ticker(ticker, self.gateway_id, now)
        mid = ticker_msg_id(self.subjects.exchange, ticker.symbol, ticker.timestamp)
        await self._send("ticker", ticker.symbol, data, mid, None)

    async def book_ticker(self, ticker: BookTicker) -> None:
        data = codec.encode_book_ticker(ticker, self.gateway_id, time.time() * 1000)
        mid = book_ticker_msg_id(self.subjects.exchange, ticker)
        await self._send("book_ticker", ticker.symbol, data, mid, None)

    async def kline(self, kline: Kline) -> None:
        data = codec.encode_kline(kline, self.gateway_id, time.time() * 1000)
        mid = kline_msg_id(self.subjects.exchange, kline)
        await self._send(
            "kline", kline.symbol, data, mid, None, subject_channel=kline_channel(kline.interval)
        )

    async def gap(self, symbol: Symbol, reason: str) -> None:
        """Tell consumers that trades of ``symbol`` before now may be missing."""
        self._gap_numbers += 1
        mid = f"{self.subjects.exchange}:g:{symbol_token(symbol)}:{self.gateway_id}:{self._gap_numbers}"
        data = codec.encode_gap(self.gateway_id, time.time() * 1000, reason)
        await self._send("gap", symbol, data, mid, None)

    async def snapshot(self, book: OrderBook) -> None:
        """Store ``book`` (a full, versioned local book) as the symbol's latest snapshot."""
        data = codec.encode_book_snapshot(book, self.gateway_id, time.time() * 1000)
        try:
            await self._objects.books.put(symbol_token(book.symbol), data)
            self._m_snapshots.inc()
        except Exception as exc:
            self._m_snapshot_errors.inc()
            logger.debug("snapshot of %s not stored: %r", book.symbol, exc)
            raise

    async def _send(
        self,
        channel: str,
        symbol: Symbol,
        data: bytes,
        msg_id: str,
        trade_token: str | None,
        *,
        subject_channel: str | None = None,
    ) -> None:
        self._expire()
        subject = self.subjects.subject(subject_channel or channel, symbol)
        try:
            future = await self._conn.js.publish_async(
                subject, data, wait_stall=self._ack_timeout, headers={MSG_ID: msg_id}
            )
        except Exception as exc:
            self._failed(symbol if trade_token else None, exc)
            return
        self._m_sent[channel].inc()
        sent_at = time.monotonic()
        self._pending.append((sent_at, future, trade_token))
        future.add_done_callback(lambda f: self._on_ack(f, sent_at, symbol if trade_token else None))
        self._g_pending.set(len(self._pending))

    def _on_ack(self, future: asyncio.Future[PubAck], sent_at: float, trade_symbol: Symbol | None) -> None:
        if future.cancelled():
            self._failed(trade_symbol, TimeoutError("no ack"))
            return
        exc = future.exception()
        if exc is not None:
            self._failed(trade_symbol, exc)
            return
        self._m_ack.record(time.monotonic() - sent_at)
        self._m_acked.inc()
        if future.result().duplicate:
            self._m_dupes.inc()

    def _failed(self, trade_symbol: Symbol | None, exc: BaseException) -> None:
        self._m_failed.inc()
        if trade_symbol is not None:
            self._trade_gaps.add(trade_symbol)
        if self._m_failed.value % 1000 == 1:
            logger.warning("bus publish failed (%d so far): %r", self._m_failed.value, exc)

    def _expire(self) -> None:
        """Give up on acks older than ``ack_timeout`` (the server restarted or is unreachable)."""
        pending = self._pending
        limit = time.monotonic() - self._ack_timeout
        while pending and (pending[0][1].done() or pending[0][0] < limit):
            _, future, _ = pending.popleft()
            if not future.done():
                future.cancel()  # counted as failed by its done callback
        self._g_pending.set(len(pending))

    async def flush_gap_markers(self) -> int:
        """Publish gap markers for symbols whose trades failed; returns how many (call periodically)."""
        self._expire()
        if not self._trade_gaps or not self._conn.connected:
            return 0
        symbols, self._trade_gaps = self._trade_gaps, set()
        for symbol in symbols:
            await self.gap(symbol, "trades failed to reach the bus")
        return len(symbols)

    async def drain(self, within: float = 5.0) -> None:
        """Wait (bounded) for every pending ack."""
        deadline = time.monotonic() + within
        while self._pending and time.monotonic() < deadline:
            self._expire()
            await asyncio.sleep(0.02)
