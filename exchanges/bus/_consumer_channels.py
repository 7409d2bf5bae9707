"""BusChannels: what a consumer wants from the bus, and the event streams of its non-book channels.

* ``wanted``: per channel (``book``, ``trade``, ``ticker``, ``book_ticker``, ``kline_<interval>``)
  the symbols streamed; the ordered consumer follows exactly those subjects, plus the gap markers of
  the traded symbols.
* Trades, tickers, book tickers and candles are decoded (a malformed one raises ProtocolError: the
  feed counts it in ``bus.malformed`` and skips it) and published to their streams, which feed the
  user's handlers and iterators exactly as a WebSocket client's streams do.
* Trades are delivered once each: the stream stored each trade id once (two gateways during a
  hand-over), and the ordered consumer never repeats. A gap marker (a gateway started publishing a
  symbol that was not handed over live, lost its own exchange connection, or failed to publish
  trades) is counted in ``bus.trades.possible_gaps`` and ``bus.trades.<SYM>.possible_gaps``, logged,
  and published as a :class:`~exchanges.models.TradeGap`: trades before it may be missing.
* A wanted channel that no gateway heard in the last ``liveness_timeout`` publishes (their liveness
  messages say which channels they publish), e.g. candles of a width no gateway is configured
  for, is logged once and counted in ``bus.unserved``, instead of being silently empty.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from exchanges.handlers import PublicStreamHandlers
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookTicker, Kline, KlineInterval, Symbol, Ticker, Trade, TradeGap
from exchanges.streams import EventStream

from ._subjects import KLINE_CHANNELS, Subjects, kline_channel
from .parsing import _events as codec

logger = logging.getLogger("exchanges.bus.consumer")

COUNTED = ("book", "trade", "ticker", "book_ticker", "kline", "gap")
"""``bus.consume.<channel>`` counters (every candle width counts as ``kline``)."""


def _symbol_filter(symbol: Symbol | None) -> Callable[[Any], bool] | None:
    if symbol is None:
        return None
    return lambda event: bool(event.symbol == symbol)


class BusChannels:
    """Wanted subjects and the non-book event streams of one consumer (see module doc)."""

    def __init__(
        self,
        subjects: Subjects,
        *,
        metrics: MetricsRegistry,
        maxsize: int,
        policy: str,
        liveness_timeout: float,
    ) -> None:
        self.subjects = subjects
        self.metrics = metrics
        self.wanted: dict[str, set[Symbol]] = {}
        self.coverage = ChannelCoverage(self.wanted, metrics=metrics, within=liveness_timeout)

        def stream(name: str, size: int = maxsize) -> EventStream[Any]:
            return EventStream(name, metrics, prefix="bus", maxsize=size, policy=policy)

        self.trade_stream: EventStream[Trade] = stream("trades")
        self.ticker_stream: EventStream[Ticker] = stream("tickers")
        self.book_ticker_stream: EventStream[BookTicker] = stream("book_tickers")
        self.kline_stream: EventStream[Kline] = stream("klines")
        self.trade_gap_stream: EventStream[TradeGap] = stream("trade_gaps", 0)  # rare: unbounded
        m = metrics
        self._m_events = {ch: m.counter(f"bus.consume.{ch}") for ch in COUNTED}
        self._m_lag = m.histogram("bus.consume.lag")
        self._m_trade_gaps = m.counter("bus.trades.possible_gaps")

    def symbols(self, channel: str) -> set[Symbol]:
        """The symbols streamed on ``channel`` (a live set: edit it, then refollow the feed)."""
        return self.wanted.setdefault(channel, set())

    def filter_subjects(self) -> list[str]:
        s = self.subjects
        subjects = {s.subject(channel, sym) for channel, syms in self.wanted.items() for sym in syms}
        subjects.update(s.subject("gap", sym) for sym in self.wanted.get("trade", ()))
        return sorted(subjects)

    def set_handlers(self, handlers: PublicStreamHandlers) -> None:
        self.trade_stream.set_handler(handlers.trade_handler)
        self.ticker_stream.set_handler(handlers.ticker_handler)
        self.book_ticker_stream.set_handler(handlers.book_ticker_handler)
        self.kline_stream.set_handler(handlers.kline_handler)

    async def close(self) -> None:
        for stream in (
            self.trade_stream,
            self.ticker_stream,
            self.book_ticker_stream,
            self.kline_stream,
            self.trade_gap_stream,
        ):
            await stream.close()

    # ------------------------------------------------------------------ hot path

    def route(self, channel: str, symbol: Symbol, data: bytes) -> None:
        """Decode one message of a non-book channel and publish it if ``symbol`` is streamed there
        (ProtocolError when malformed: nothing is published)."""
        wanted = symbol in self.wanted.get(channel, ())
        if channel == "trade":
            trade, msg = codec.decode_trade(symbol, data)
            self._count("trade", msg.pt)
            if wanted:
                self.trade_stream.publish(trade)
        elif channel == "ticker":
            ticker, ticker_msg = codec.decode_ticker(symbol, data)
            self._count("ticker", ticker_msg.pt)
            if wanted:
                self.ticker_stream.publish(ticker)
        elif channel == "book_ticker":
            book_ticker, bt_msg = codec.decode_book_ticker(symbol, data)
            self._count("book_ticker", bt_msg.pt)
            if wanted:
                self.book_ticker_stream.publish(book_ticker)
        elif channel in KLINE_CHANNELS:
            kline, kline_msg = codec.decode_kline(symbol, KLINE_CHANNELS[channel], data)
            self._count("kline", kline_msg.pt)
            if wanted:
                self.kline_stream.publish(kline)
        elif channel == "gap":
            self._gap(symbol, data)
        else:
            raise ValueError(f"no route for channel {channel!r}")

    def _count(self, channel: str, published_ms: float) -> None:
        self._m_events[channel].inc()
        self._m_lag.record(max(0.0, time.time() * 1000 - published_ms) / 1000)

    def _gap(self, symbol: Symbol, data: bytes) -> None:
        gap = codec.decode_gap(data)
        self._m_events["gap"].inc()
        if symbol not in self.wanted.get("trade", ()):
            return
        self._m_trade_gaps.inc()
        self.metrics.counter(f"bus.trades.{symbol}.possible_gaps").inc()
        logger.warning("%s: trades before now may be missing (%s, gateway %s)", symbol, gap.reason, gap.g)
        self.trade_gap_stream.publish(TradeGap(symbol, int(gap.pt), f"{gap.reason} (gateway {gap.g})"))

    # ------------------------------------------------------------------ reading

    def trades(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> AsyncIterator[Trade]:
        return self.trade_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def tickers(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> AsyncIterator[Ticker]:
        return self.ticker_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def book_tickers(
        self, symbol: Symbol | None = None, *, maxsize: int | None = None
    ) -> AsyncIterator[BookTicker]:
        return self.book_ticker_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def klines(self, symbol: Symbol | None = None, *, maxsize: int | None = None) -> AsyncIterator[Kline]:
        return self.kline_stream.iterate(_symbol_filter(symbol), maxsize=maxsize)

    def trade_gaps(self) -> AsyncIterator[TradeGap]:
        return self.trade_gap_stream.iterate()

    def events(self) -> dict[str, int]:
        return {ch: counter.value for ch, counter in self._m_events.items()}

    @property
    def possible_gaps(self) -> int:
        return self._m_trade_gaps.value


class ChannelCoverage:
    """Which channels the gateways heard recently publish, and which wanted ones none of them does."""

    def __init__(self, wanted: dict[str, set[Symbol]], *, metrics: MetricsRegistry, within: float) -> None:
        self._wanted = wanted
        self._within = within
        self._gateways: dict[str, tuple[float, frozenset[str]]] = {}  # id -> (heard at, channels)
        self._warned: set[str] = set()
        self._m_unserved = metrics.counter("bus.unserved")

    def heard(self, gateway: str, channels: list[str]) -> None:
        """A liveness message of ``gateway``; warns once about each wanted channel nobody publishes."""
        now = time.monotonic()
        self._gateways[gateway] = (now, frozenset(channels))
        for name, (at, _) in list(self._gateways.items()):
            if now - at > self._within:
                del self._gateways[name]
        unserved = self.unserved()
        for channel in unserved:
            if channel not in self._warned:
                self._m_unserved.inc()
                published = sorted(frozenset().union(*(chs for _, chs in self._gateways.values())))
                logger.warning(
                    "no gateway publishes %s (they publish %s): nothing will arrive on it",
                    channel,
                    ", ".join(published),
                )
        self._warned = set(unserved)  # one served again may warn again later

    def unserved(self) -> list[str]:
        """Wanted channels no recently heard gateway publishes (none when no gateway is heard, or one
        does not say what it publishes)."""
        now = time.monotonic()
        recent = [chs for at, chs in self._gateways.values() if now - at <= self._within]
        if not recent or not all(recent):
            return []
        served = frozenset().union(*recent)
        return sorted(
            channel for channel, symbols in self._wanted.items() if symbols and channel not in served
        )


def kline_subject_channel(interval: KlineInterval) -> str:
    """The channel of ``interval``'s candles (``kline_1m``), validated as an interval."""
    if not isinstance(interval, KlineInterval):
        raise ValueError(f"interval must be a KlineInterval, got {interval!r}")
    return kline_channel(interval)
