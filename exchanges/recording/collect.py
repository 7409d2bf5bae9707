"""Replay a recording at full speed and keep the normalized records (for export and the report).

Values come from the replay itself: the same decoder and books as live, so what is exported is
what a live user would have received. Markers for the report (reconnects, resyncs, silent gaps)
come from the recording's own records.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from exchanges.factory import FullExchangeFactory
from exchanges.handlers import PublicStreamHandlers
from exchanges.models import BookTicker, OrderBook, Ticker, Trade
from exchanges.recording.errors import RecordingError
from exchanges.recording.manifest import read_manifest
from exchanges.recording.reader import RecordingReader
from exchanges.recording.records import ConnectionEventKind, ConnectionRecord, FrameRecord, SnapshotRecord
from exchanges.recording.replay import ReplayResult
from exchanges.recording.session import SupportsReplay

__all__ = ["GAP_SECONDS", "Collected", "Markers", "collect", "read_markers"]

GAP_SECONDS = 5.0
"""A recording silent for longer than this (no frame at all) is marked as a gap."""


@attrs.define
class Markers:
    """Times (ns) of data-quality events: reconnects of any connection, book resyncs, silent gaps."""

    reconnects: list[int] = attrs.field(factory=list)
    resyncs: dict[str, list[int]] = attrs.field(factory=dict)
    gaps: list[tuple[int, int]] = attrs.field(factory=list)


@attrs.define
class Collected:
    trades: list[Trade] = attrs.field(factory=list)
    books: list[OrderBook] = attrs.field(factory=list)
    tickers: list[Ticker] = attrs.field(factory=list)
    book_tickers: list[BookTicker] = attrs.field(factory=list)
    markers: Markers = attrs.field(factory=Markers)
    result: ReplayResult | None = None


def read_markers(directory: str | os.PathLike[str], *, gap_seconds: float = GAP_SECONDS) -> Markers:
    """Reconnects, resyncs (every snapshot after a book's first) and silent gaps of a recording."""
    markers = Markers()
    seen: set[str] = set()
    last_frame: int | None = None
    gap_ns = int(gap_seconds * 1e9)
    for record in RecordingReader(directory, skip_corrupt=True):
        if isinstance(record, FrameRecord):
            if last_frame is not None and record.received_ns - last_frame > gap_ns:
                markers.gaps.append((last_frame, record.received_ns))
            last_frame = record.received_ns
        elif isinstance(record, ConnectionRecord):
            if record.event == ConnectionEventKind.RECONNECTED:
                markers.reconnects.append(record.at_ns)
        elif isinstance(record, SnapshotRecord):
            if record.key in seen:
                markers.resyncs.setdefault(record.key, []).append(record.at_ns)
            seen.add(record.key)
    return markers


async def collect(
    directory: str | os.PathLike[str],
    factory: FullExchangeFactory,
    *,
    skip_corrupt: bool = False,
) -> Collected:
    """Replay ``directory`` at speed 0 through its exchange's plugin and keep every record it gives.

    Bound it with ``asyncio.timeout`` if needed; the replay itself always ends with the recording.
    """
    path = Path(directory)
    manifest = read_manifest(path)
    collected = Collected()
    exchange = await factory.create_public_exchange(
        manifest.exchange,
        environment="replay",
        overrides={"replay_path": str(path), "replay_speed": 0.0, "replay_skip_corrupt": skip_corrupt},
    )
    try:
        replayer = exchange
        if not isinstance(replayer, SupportsReplay):
            raise RecordingError(f"exchange {manifest.exchange!r} cannot replay recordings")
        handlers = PublicStreamHandlers(
            trade_handler=collected.trades.append,
            orderbook_handler=collected.books.append,
            ticker_handler=collected.tickers.append,
            book_ticker_handler=collected.book_tickers.append,
        )
        source = await replayer.start_replay(handlers)
        collected.result = await source.wait_finished()
    finally:
        await exchange.close()
    collected.markers = read_markers(path)
    return collected
