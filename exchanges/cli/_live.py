"""A live terminal view of one symbol: local order book, recent trades and the 24 h ticker.

Used by ``exchanges watch`` and by plugins' demos. It relies only on the capability Protocols:
with ``SupportsOrderBookStream`` it shows the local book and its state (SYNCING/LIVE/STALE),
otherwise it polls REST snapshots; trades and tickers come from their streams when available.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import signal
from collections.abc import Iterator

from exchanges.capabilities import SupportsOrderBookStream, SupportsTickerStream, SupportsTradeStream
from exchanges.cli._console import terminal_size
from exchanges.cli._render import Screen, render_book, render_ticker, render_trades
from exchanges.handlers import PublicStreamHandlers
from exchanges.interfaces import PublicExchange
from exchanges.models import BookState, OrderBook, Symbol, Ticker, Trade

REFRESH_SECONDS = 0.25
FIXED_LINES = 9
"""Lines of a frame besides book and trade rows: title, status, ticker, two headings, two table
headers with their rules... (so depth + trades + FIXED_LINES fits the terminal, 24 lines at least)."""


def connection_text(exchange: object) -> str:
    """The worst stream connection state (RECONNECTING / FAILED / CLOSED / CONNECTED) from the
    exchange's ``stream_status()`` (``{"connections": {name: state}}``); ``-`` without streams."""
    status = getattr(exchange, "stream_status", None)
    if not callable(status):
        return "-"
    states = set(dict(status().get("connections", {})).values())
    if not states:
        return "-"
    for worst in ("FAILED", "RECONNECTING", "CONNECTING", "CLOSED"):
        if worst in states:
            return worst
    return "CONNECTED" if states == {"CONNECTED"} else sorted(states)[0]


def fit_rows(depth: int, trades: int, lines: int) -> tuple[int, int]:
    """Book depth and trade rows that fit ``lines`` terminal lines (at least 3 of each)."""
    room = max(lines - FIXED_LINES, 6)
    book_rows = max(3, min(depth, room // 2))
    return book_rows, max(3, min(trades, room - book_rows))


class MarketView:
    """Streams one symbol into memory and renders it as text frames."""

    def __init__(
        self,
        exchange: PublicExchange,
        symbol: Symbol,
        *,
        depth: int = 10,
        trades: int = 10,
        lines: int | None = None,
    ) -> None:
        self.exchange = exchange
        self.symbol = symbol
        depth, trades = fit_rows(depth, trades, lines if lines is not None else terminal_size()[1])
        self.depth = depth
        self.trades: collections.deque[Trade] = collections.deque(maxlen=max(trades, 1) * 5)
        self.trade_rows = trades
        self.ticker: Ticker | None = None
        self.rest_book: OrderBook | None = None
        self.price_decimals: int | None = None
        self.size_decimals: int | None = None

    def _on_trade(self, trade: Trade) -> None:
        if trade.symbol == self.symbol:
            self.trades.append(trade)

    def _on_ticker(self, ticker: Ticker) -> None:
        if ticker.symbol == self.symbol:
            self.ticker = ticker

    async def start(self) -> None:
        """Load the symbol's precision and first REST data, then start whichever streams exist."""
        info = (await self.exchange.get_symbols_info()).get(self.symbol)
        if info is not None:
            self.price_decimals, self.size_decimals = info.quote_precision, info.base_precision
        self.ticker = await self.exchange.get_ticker(self.symbol)
        self.trades.extend(await self.exchange.get_recent_trades(self.symbol, self.trade_rows))
        exchange = self.exchange
        handlers = PublicStreamHandlers(trade_handler=self._on_trade, ticker_handler=self._on_ticker)
        if isinstance(exchange, SupportsOrderBookStream):
            await exchange.start_orderbook_stream([self.symbol])
        if isinstance(exchange, SupportsTradeStream):
            await exchange.start_trades_stream([self.symbol], handlers)
        if isinstance(exchange, SupportsTickerStream):
            await exchange.start_ticker_stream([self.symbol], handlers)

    async def refresh(self) -> None:
        """Without a book stream, fetch a REST snapshot (called once per frame)."""
        if not isinstance(self.exchange, SupportsOrderBookStream):
            self.rest_book = await self.exchange.get_orderbook(self.symbol, self.depth)

    def book(self) -> tuple[OrderBook | None, BookState | None]:
        exchange = self.exchange
        if isinstance(exchange, SupportsOrderBookStream):
            state = exchange.orderbook_state(self.symbol)
            return exchange.get_local_orderbook(self.symbol, self.depth), state
        return self.rest_book, None

    def status(self) -> str:
        """``stream CONNECTED  book LIVE  Ctrl-C to quit``."""
        _, state = self.book()
        book = state.value if state is not None else "REST"
        return f"stream {connection_text(self.exchange)}  book {book}  Ctrl-C to quit"

    def frame(self, title: str = "") -> list[str]:
        """The current view as text lines (title, status, book, ticker, trades)."""
        book, state = self.book()
        lines = [title] if title else []
        lines.append(self.status())
        if book is None:
            lines.append(f"ORDER BOOK {self.symbol} (loading)")
        elif state is BookState.STALE:
            lines.append(f"ORDER BOOK {self.symbol}  [STALE] connection lost or silent: reconnecting")
        elif state is not None and state is not BookState.LIVE:
            lines.append(f"ORDER BOOK {self.symbol}  [{state.value}] waiting for the snapshot to line up")
        else:
            lines.extend(
                render_book(
                    book,
                    self.depth,
                    state=state,
                    price_decimals=self.price_decimals,
                    size_decimals=self.size_decimals,
                )
            )
        lines.extend(render_ticker(self.ticker, price_decimals=self.price_decimals))
        lines.extend(
            render_trades(
                list(self.trades),
                self.trade_rows,
                price_decimals=self.price_decimals,
                size_decimals=self.size_decimals,
            )
        )
        return lines

    async def run(
        self, screen: Screen, *, duration: float | None, title: str = "", stop: asyncio.Event | None = None
    ) -> None:
        """Redraw every :data:`REFRESH_SECONDS` until ``duration`` passes or ``stop`` is set."""
        loop = asyncio.get_running_loop()
        deadline = None if duration is None else loop.time() + duration
        stop = stop or asyncio.Event()
        while True:
            await self.refresh()
            remaining = None if deadline is None else deadline - loop.time()
            done = stop.is_set() or (remaining is not None and remaining <= 0)
            suffix = "" if remaining is None or done else f"  ({max(remaining, 0):.0f} s left)"
            screen.draw(self.frame(title + suffix), force=done)
            if done:
                return
            wait = REFRESH_SECONDS if remaining is None else min(REFRESH_SECONDS, max(remaining, 0.0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM set ``stop`` instead of killing the loop (a clean, normal exit)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not on this platform / thread
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
