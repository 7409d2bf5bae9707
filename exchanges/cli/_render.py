"""Text rendering for the CLI: tables, order books, trades, tickers, orders, and a redrawing screen.

Plain functions returning lines (tables drawn by rich, see :mod:`exchanges.cli._console`), so every
command (and plugins' commands such as ``exchanges demo``) shows records the same way.
:class:`Screen` redraws in place with :class:`rich.live.Live` on a terminal and prints plain,
separated frames (at a lower rate) when stdout is a pipe or a file.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from exchanges.cli._console import MAX_WIDTH, format_table
from exchanges.models import AssetBalance, AssetName, BookState, Fill, Order, OrderBook, Ticker, Trade

__all__ = [
    "Screen",
    "format_table",
    "render_balances",
    "render_book",
    "render_fills",
    "render_metrics",
    "render_orders",
    "render_ticker",
    "render_trades",
]


def fmt_num(value: float | Decimal | None, decimals: int | None = None) -> str:
    """A number for humans: fixed ``decimals`` when given, else without float noise; ``-`` for None."""
    if value is None:
        return "-"
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text if "." not in text or len(text) < 20 else text[:20]
    return f"{value:,.8g}"


def render_book(
    book: OrderBook,
    depth: int = 10,
    *,
    state: BookState | None = None,
    price_decimals: int | None = None,
    size_decimals: int | None = None,
) -> list[str]:
    """Bids and asks side by side, best first, with the spread on the header line."""
    bids, asks = book.bids[:depth], book.asks[:depth]
    header = f"ORDER BOOK {book.symbol}"
    if state is not None:
        header += f"  [{state.value}]"
    if book.version is not None:
        header += f"  version {book.version}"
    if bids and asks:
        spread = asks[0].price - bids[0].price
        mid = (asks[0].price + bids[0].price) / 2
        header += f"  spread {fmt_num(spread, price_decimals)} ({spread / mid * 1e4:.1f} bp)"
    rows = []
    for index in range(max(len(bids), len(asks))):
        bid = bids[index] if index < len(bids) else None
        ask = asks[index] if index < len(asks) else None
        rows.append(
            (
                fmt_num(bid.size, size_decimals) if bid else "",
                fmt_num(bid.price, price_decimals) if bid else "",
                fmt_num(ask.price, price_decimals) if ask else "",
                fmt_num(ask.size, size_decimals) if ask else "",
            )
        )
    table = (
        format_table(("BID SIZE", "BID", "ASK", "ASK SIZE"), rows, numeric_from=0) if rows else "(empty book)"
    )
    return [header, *table.splitlines()]


def render_trades(
    trades: Sequence[Trade],
    limit: int = 10,
    *,
    price_decimals: int | None = None,
    size_decimals: int | None = None,
) -> list[str]:
    """The newest ``limit`` trades, newest first."""
    newest = list(trades)[-limit:][::-1]
    if not newest:
        return ["RECENT TRADES", "(no trades yet)"]
    rows = [
        (
            time.strftime("%H:%M:%S", time.localtime(trade.timestamp / 1000)),
            trade.side.value,
            fmt_num(trade.price, price_decimals),
            fmt_num(trade.quantity, size_decimals),
        )
        for trade in newest
    ]
    return [
        "RECENT TRADES",
        *format_table(("TIME", "SIDE", "PRICE", "QTY"), rows, numeric_from=2).splitlines(),
    ]


def render_ticker(ticker: Ticker | None, *, price_decimals: int | None = None) -> list[str]:
    """One line of 24 h statistics."""
    if ticker is None:
        return ["24H TICKER (waiting for the first update)"]
    return [
        f"24H {ticker.symbol} last {fmt_num(ticker.last_price, price_decimals)} "
        f"{ticker.price_change_percent:+.2f}% high {fmt_num(ticker.high, price_decimals)} "
        f"low {fmt_num(ticker.low, price_decimals)} vol {fmt_num(ticker.volume)}"
    ]


SHORT_NAMES = {
    "IMMEDIATE_OR_CANCEL": "IOC",
    "FILL_OR_KILL": "FOK",
    "PARTIALLY_FILLED": "PART_FILLED",
    "PARTIALLY_CANCELED": "PART_CANCELED",
}
"""Order types and statuses shortened in tables so a row fits 80 columns (JSON keeps full names)."""


def _short(value: str) -> str:
    return SHORT_NAMES.get(value, value)


def render_orders(orders: Iterable[Order]) -> list[str]:
    """Orders grouped by symbol (a heading line per symbol), one compact row each."""
    by_symbol: dict[str, list[Order]] = {}
    for order in orders:
        by_symbol.setdefault(str(order.symbol), []).append(order)
    if not by_symbol:
        return ["(no orders)"]
    headers = ("ORDER ID", "SIDE", "TYPE", "PRICE", "FILLED/QTY", "STATUS")
    lines: list[str] = []
    for symbol in sorted(by_symbol):
        rows = [
            (
                order.order_id,
                order.side.value,
                _short(order.order_type.value),
                fmt_num(order.price),
                f"{fmt_num(order.filled_quantity)}/{fmt_num(order.quantity)}",
                _short(order.status.value),
            )
            for order in by_symbol[symbol]
        ]
        lines.append(symbol)
        lines.extend(format_table(headers, rows, compact=True).splitlines())
    return lines


def render_fills(fills: Iterable[Fill]) -> list[str]:
    rows = [
        (
            fill.order_id,
            fill.side.value,
            fmt_num(fill.price),
            fmt_num(fill.quantity),
            f"{fmt_num(fill.fee)} {fill.fee_asset or ''}".strip(),
            "maker" if fill.is_maker else "taker",
        )
        for fill in fills
    ]
    if not rows:
        return ["(no fills)"]
    return format_table(("ORDER ID", "SIDE", "PRICE", "QTY", "FEE", "ROLE"), rows, wrap=True).splitlines()


def render_balances(
    balances: Mapping[AssetName, AssetBalance], before: Mapping[AssetName, AssetBalance] | None = None
) -> list[str]:
    """Balances sorted by asset; with ``before``, a CHANGE column of the total's difference."""
    assets = sorted(set(balances) | set(before or {}))
    rows = []
    for asset in assets:
        now = balances.get(asset)
        free = now.free if now else Decimal(0)
        locked = now.locked if now else Decimal(0)
        row = [asset, fmt_num(free), fmt_num(locked), fmt_num(free + locked)]
        if before is not None:
            old = before.get(asset)
            change = (free + locked) - (old.total if old else Decimal(0))
            row.append("" if not change else ("+" if change > 0 else "") + fmt_num(change))
        rows.append(row)
    if not rows:
        return ["(no balances)"]
    headers = ["ASSET", "FREE", "LOCKED", "TOTAL"] + (["CHANGE"] if before is not None else [])
    return format_table(headers, rows, numeric_from=1).splitlines()


def render_metrics(metrics: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    """Two columns, METRIC and VALUE, for the scalar ``keys`` present in ``metrics``."""
    rows = []
    for key in keys:
        if key not in metrics:
            continue
        value = metrics[key]
        if isinstance(value, float):
            text = f"{value:.2f}" + ("%" if key.endswith("_rate") else "")
        else:
            text = "n/a" if value is None else str(value)
        rows.append((key, text))
    return format_table(("METRIC", "VALUE"), rows).splitlines()


class Screen:
    """Draws frames: in place on a terminal (rich ``Live``), as separated plain blocks otherwise.

    ``plain_interval`` limits how often a plain frame is printed (pipes and log files do not want
    ten frames a second); ``force=True`` prints regardless (e.g. the final frame). Call
    :meth:`close` (or use ``with``) to leave the live display.
    """

    def __init__(self, stream: TextIO | None = None, *, plain_interval: float = 1.0) -> None:
        self.stream = stream if stream is not None else sys.stdout
        isatty = getattr(self.stream, "isatty", None)
        self.interactive = bool(isatty and isatty())
        self.plain_interval = plain_interval
        self._last_plain = float("-inf")
        self._live: Live | None = None
        self.frames = 0

    def _live_display(self) -> Live:
        if self._live is None:
            console = Console(file=self.stream, highlight=False, emoji=False)
            self._live = Live(console=console, auto_refresh=False, transient=False)
            self._live.start()
        return self._live

    def draw(self, lines: Sequence[str], *, force: bool = False) -> None:
        text = "\n".join(line[:MAX_WIDTH] for line in lines)
        if self.interactive:
            self._live_display().update(Text(text), refresh=True)
        else:
            now = time.monotonic()
            if not force and now - self._last_plain < self.plain_interval:
                return
            self._last_plain = now
            self.stream.write(f"--- frame {self.frames + 1} ---\n{text}\n")
            self.stream.flush()
        self.frames += 1

    def say(self, *lines: str) -> None:
        """Print ordinary lines (no redraw)."""
        if self._live is not None:
            self._live.console.print("\n".join(lines), highlight=False)
            return
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Leave the live display (the last frame stays on screen). Idempotent."""
        live, self._live = self._live, None
        if live is not None:
            live.stop()

    def __enter__(self) -> Screen:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
