"""Export a recording to Parquet: trades, book tops (top N levels at each update) and tickers.

The values are the replayed ones (see :mod:`exchanges.recording.collect`). Files written in
``OUTDIR``: ``trades.parquet``, ``book_tops.parquet`` (``bid_px_1 .. bid_px_N``, ``bid_sz_1``...,
``ask_px_1``..., NaN where a side has fewer levels), ``tickers.parquet`` and ``book_tickers.parquet``.
Timestamps are exchange milliseconds (``timestamp``). pandas, polars and DuckDB read them directly.
Needs the optional ``analysis`` extra (``pip install 'exchanges[analysis]'``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from exchanges.recording.collect import Collected
from exchanges.recording.errors import RecordingError

__all__ = ["DEFAULT_TOP_LEVELS", "export_parquet"]

DEFAULT_TOP_LEVELS = 5


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise RecordingError("export needs pyarrow: pip install 'exchanges[analysis]'") from None
    return pyarrow


def export_parquet(
    collected: Collected, out: str | os.PathLike[str], *, top: int = DEFAULT_TOP_LEVELS
) -> dict[str, int]:
    """Write the Parquet files; returns rows written per file."""
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    pa = _pyarrow()
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    tables: dict[str, dict[str, list[Any]]] = {
        "trades": {
            "timestamp": [t.timestamp for t in collected.trades],
            "symbol": [str(t.symbol) for t in collected.trades],
            "side": [t.side.value for t in collected.trades],
            "price": [t.price for t in collected.trades],
            "quantity": [t.quantity for t in collected.trades],
            "trade_id": [t.trade_id for t in collected.trades],
        },
        "book_tops": _book_tops(collected, top),
        "tickers": {
            "timestamp": [t.timestamp for t in collected.tickers],
            "symbol": [str(t.symbol) for t in collected.tickers],
            "last_price": [t.last_price for t in collected.tickers],
            "high": [t.high for t in collected.tickers],
            "low": [t.low for t in collected.tickers],
            "volume": [t.volume for t in collected.tickers],
            "quote_volume": [t.quote_volume for t in collected.tickers],
            "price_change_percent": [t.price_change_percent for t in collected.tickers],
        },
        "book_tickers": {
            "timestamp": [b.timestamp for b in collected.book_tickers],
            "symbol": [str(b.symbol) for b in collected.book_tickers],
            "bid_price": [b.bid_price for b in collected.book_tickers],
            "bid_quantity": [b.bid_quantity for b in collected.book_tickers],
            "ask_price": [b.ask_price for b in collected.book_tickers],
            "ask_quantity": [b.ask_quantity for b in collected.book_tickers],
        },
    }
    rows: dict[str, int] = {}
    for name, columns in tables.items():
        table = pa.table(columns)
        pa.parquet.write_table(table, directory / f"{name}.parquet")
        rows[name] = table.num_rows
    return rows


def _book_tops(collected: Collected, top: int) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {"timestamp": [], "symbol": [], "version": []}
    for side in ("bid", "ask"):
        for level in range(1, top + 1):
            columns[f"{side}_px_{level}"] = []
            columns[f"{side}_sz_{level}"] = []
    for book in collected.books:
        columns["timestamp"].append(book.timestamp)
        columns["symbol"].append(str(book.symbol))
        columns["version"].append(book.version)
        for side, levels in (("bid", book.bids), ("ask", book.asks)):
            for level in range(1, top + 1):
                entry = levels[level - 1] if level <= len(levels) else None
                columns[f"{side}_px_{level}"].append(math.nan if entry is None else entry[0])
                columns[f"{side}_sz_{level}"].append(math.nan if entry is None else entry[1])
    return columns
