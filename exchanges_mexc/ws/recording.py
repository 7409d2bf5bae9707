"""What is MEXC-specific about recording and replaying the public streams.

* the schema hash: SHA-256 of the serialized descriptors of our generated ``.proto`` modules (the
  exact wire schema the frames were decoded with);
* which channel a frame belongs to (the ``channel`` field of ``PushDataV3ApiWrapper``; text frames
  are control messages: acks, PONGs, errors);
* how a REST depth snapshot is stored (JSON: exact float round trip) and read back;
* :class:`MexcReplaySink`: where replayed frames and connection events go in the MEXC client, and
  how a replayed book is probed at checkpoints.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from exchanges.models import BookState, OrderBook, OrderBookEntry, Symbol
from exchanges.orderbook import LocalOrderBook
from exchanges.recording import BookCheckpoint, ConnectionEventKind, ConnectionRecord, book_checksum
from exchanges_mexc._proto import PushDataV3ApiWrapper_pb2
from exchanges_mexc.ws import channels as ch
from exchanges_mexc.ws.books import SNAPSHOT_LIMIT

if TYPE_CHECKING:
    from exchanges.recording import Recorder, ReplaySource
    from exchanges_mexc.rest.public import MexcPublicSpotRest
    from exchanges_mexc.ws.books import LocalBooks

CONTROL_CHANNEL = "control"


@functools.cache
def schema_hash() -> str:
    """SHA-256 over the serialized descriptors of every generated MEXC protobuf module."""
    import importlib
    import pkgutil

    import exchanges_mexc._proto as package

    digest = hashlib.sha256()
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.name.endswith("_pb2"))
    for name in names:
        module = importlib.import_module(f"{package.__name__}.{name}")
        digest.update(name.encode())
        digest.update(module.DESCRIPTOR.serialized_pb)
    return digest.hexdigest()


def frame_channel(frame: bytes | str) -> str:
    """The channel name a frame was pushed on; ``"control"`` for JSON/text frames."""
    if isinstance(frame, str) or frame[:1] in (b"{", b"["):
        return CONTROL_CHANNEL
    wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper()
    try:
        wrapper.ParseFromString(frame)
    except Exception:
        return "undecodable"
    return wrapper.channel or "unknown"


def channel_kind(channel: str) -> str:
    """``spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT`` -> ``aggre.deals`` (others unchanged)."""
    try:
        return ch.parse_channel(channel).kind.value
    except ValueError:
        return channel


def encode_snapshot(book: OrderBook) -> bytes:
    """A REST depth snapshot as stored in a recording (floats as their exact shortest repr)."""
    return json.dumps(
        {
            "symbol": str(book.symbol),
            "version": book.version,
            "timestamp": book.timestamp,
            "bids": [list(level) for level in book.bids],
            "asks": [list(level) for level in book.asks],
        },
        separators=(",", ":"),
    ).encode()


def decode_snapshot(payload: bytes) -> OrderBook:
    data = json.loads(payload)
    return OrderBook(
        symbol=Symbol.parse(data["symbol"]),
        bids=tuple(OrderBookEntry(float(p), float(s)) for p, s in data["bids"]),
        asks=tuple(OrderBookEntry(float(p), float(s)) for p, s in data["asks"]),
        timestamp=int(data["timestamp"]),
        version=None if data["version"] is None else int(data["version"]),
    )


def checkpoints(books: LocalBooks) -> Iterator[BookCheckpoint]:
    """A checkpoint of every LIVE book (the recorder's checkpoint source)."""
    for sync in books.books.values():
        probe = _probe(sync.book, sync.state)
        if probe is not None:
            yield probe


def _probe(book: LocalOrderBook, state: BookState) -> BookCheckpoint | None:
    if state is not BookState.LIVE or book.version is None:
        return None
    full = book.snapshot(None)
    return BookCheckpoint(
        str(book.symbol), book.version, book_checksum(full.bids, full.asks), len(full.bids) + len(full.asks)
    )


class MexcReplaySink:
    """The MEXC client's side of a replay (:class:`exchanges.recording.replay.ReplaySink`)."""

    def __init__(
        self,
        *,
        on_frame: Callable[[bytes | str], None],
        on_overlap: Callable[[bool], None],
        on_reconnected: Callable[[frozenset[str]], None],
        on_lost: Callable[[frozenset[str], str], None],
        books: LocalBooks,
        on_end: Callable[[], Awaitable[None]],
    ) -> None:
        self._on_frame = on_frame
        self._on_overlap = on_overlap
        self._on_reconnected = on_reconnected
        self._on_lost = on_lost
        self._books = books
        self._end = on_end

    def frame_handler(self, conn: int) -> Callable[[bytes | str], None]:
        """Every replayed connection feeds the router, like every live one."""
        return self._on_frame

    def on_connection(self, record: ConnectionRecord) -> None:
        event = record.event
        if event == ConnectionEventKind.OVERLAP_BEGIN:
            self._on_overlap(True)
        elif event == ConnectionEventKind.OVERLAP_END:
            self._on_overlap(False)
        elif event == ConnectionEventKind.RECONNECTED:
            self._on_reconnected(frozenset(record.channels))
        elif event == ConnectionEventKind.RECONNECTING:
            self._on_lost(frozenset(record.channels), "connection lost")
        elif event == ConnectionEventKind.FAILED:
            self._on_lost(frozenset(record.channels), "connection failed")

    def probe_book(self, key: str) -> BookCheckpoint | None:
        sync = self._books.books.get(Symbol.parse(key))
        if sync is None:
            return None
        return _probe(sync.book, sync.state)

    async def on_end(self) -> None:
        await self._end()


def snapshot_fetcher(
    rest: MexcPublicSpotRest, *, recorder: Recorder | None, replay: ReplaySource | None
) -> Callable[[Symbol], Awaitable[OrderBook]]:
    """The REST snapshot a book syncs from; recorded when recording, read back when replaying."""

    async def fetch(symbol: Symbol) -> OrderBook:
        if replay is not None:
            return decode_snapshot(await replay.fetch_snapshot(str(symbol)))
        try:
            book = await rest.get_orderbook(symbol, limit=SNAPSHOT_LIMIT)
        except Exception as exc:
            if recorder is not None:
                recorder.record_snapshot_failure(str(symbol), exc)
            raise
        if recorder is not None:  # the synchroniser applies it in this same step
            recorder.record_snapshot(str(symbol), encode_snapshot(book))
        return book

    return fetch
