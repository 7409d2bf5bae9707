"""Server side of the symbol-scaling scenario (issue 15: CPU per frame at 1, 10, 100 and 300 symbols).

One :class:`ScaleScenario` is a raw blast spread over ``symbols`` markets: frame ``i`` of the blast belongs
to symbol ``i % symbols`` (depth frames of 20+20 levels, or deals frames of 10 trades), every symbol has
its own versioned book (:class:`bench.frames.DepthStream`), and the frames are pre-built WebSocket frames
written straight to each connection's socket (as :mod:`bench.server`'s ``raw`` scenarios do). A client
subscribes to every symbol over as many connections as MEXC's 30 subscriptions per connection need,
like a real user; each connection is blasted only its own symbols' frames, all connections at once.

Sequence (the same for our client, the bare floor and an older tree of ours):

1. every subscribed channel gets one warm-up frame (frame 0 of its symbol) right after its ack;
2. the blast waits until every symbol is subscribed (deals) or every symbol's REST snapshot was served
   (depth: a client syncs each book from ``/api/v3/depth?symbol=...``), then :data:`SETTLE_SECONDS`;
3. every connection writes its frames, in chunks, waiting only while its socket buffer is full.

Symbol 0 is ``BTCUSDT`` (so one symbol is exactly :mod:`bench.bench_floor`'s market); the others are
``X001USDT``... which the scenario's ``exchangeInfo`` lists while it is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bench import frames as market
from exchanges_mexc._proto import PushDataV3ApiWrapper_pb2

SETTLE_SECONDS = 0.3
READY_TIMEOUT = 60.0
CHUNK = 64
"""Frames per socket write: small, so that the connections' frames interleave at the client."""
HIGH_WATER = 1 << 20
MAX_WAITS = 500_000


def pair_name(index: int) -> str:
    """The MEXC pair of symbol ``index``: ``BTCUSDT`` for 0, then ``X001USDT``, ``X002USDT``..."""
    return market.SYMBOL if index == 0 else f"X{index:03d}USDT"


def base_asset(index: int) -> str:
    return "BTC" if index == 0 else f"X{index:03d}"


def _binary_frame(payload: bytes) -> bytes:
    """One unmasked, final, uncompressed binary WebSocket frame (RFC 6455 §5.2) around ``payload``."""
    n = len(payload)
    if n < 126:
        return bytes((0x82, n)) + payload
    if n < 1 << 16:
        return bytes((0x82, 126)) + n.to_bytes(2, "big") + payload
    return bytes((0x82, 127)) + n.to_bytes(8, "big") + payload


def _rename(payload: bytes, pair: str, channel: str) -> bytes:
    """``payload`` (encoded by :mod:`bench.frames` for BTCUSDT) re-addressed to ``pair``/``channel``."""
    wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper.FromString(payload)
    wrapper.symbol = pair
    wrapper.channel = channel
    return wrapper.SerializeToString()


@dataclass
class ScaleScenario:
    """A blast of ``frames`` frames spread round-robin over ``symbols`` markets (see the module doc)."""

    kind: str  # "depth" | "deals"
    symbols: int
    frames: int
    base_version: int
    updates_per_frame: int = 20
    trades_per_frame: int = 10
    trade_time_base: int = field(default_factory=lambda: int(time.time() * 1000))
    streams: list[market.DepthStream] = field(default_factory=list)
    subscribed: set[int] = field(default_factory=set)
    snapshots: set[int] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    encoded: dict[int, list[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.streams = [
            market.DepthStream(self.base_version + s * 100_000_000, self.updates_per_frame)
            for s in range(self.symbols)
        ]

    # ------------------------------------------------------------------ layout
    def frames_of(self, symbol: int) -> int:
        """Blast frames of ``symbol`` (the warm-up frame not counted)."""
        return len(range(symbol, self.frames, self.symbols))

    def channel(self, symbol: int) -> str:
        event = market.DEPTH_EVENT if self.kind == "depth" else market.DEALS_EVENT
        return f"{event}@{pair_name(symbol)}"

    def symbol_of(self, channel: str) -> int | None:
        """Index of the symbol a channel of this scenario's kind names; None for any other channel."""
        event = market.DEPTH_EVENT if self.kind == "depth" else market.DEALS_EVENT
        if not channel.startswith(event + "@"):
            return None
        return self.index_of(channel[len(event) + 1 :])

    def index_of(self, pair: str) -> int | None:
        """Index of ``pair`` in this scenario (inverse of :func:`pair_name`); None if not one of them."""
        if pair == market.SYMBOL:
            return 0
        if pair.startswith("X") and pair.endswith("USDT") and pair[1:-4].isdigit():
            index = int(pair[1:-4])
            return index if 0 < index < self.symbols else None
        return None

    def _frame(self, symbol: int, k: int) -> bytes:
        """Frame ``k`` of ``symbol`` (0 = the warm-up frame) as a WebSocket payload."""
        channel = self.channel(symbol)
        if self.kind == "depth":
            payload = self.streams[symbol].encode(k, channel)
        else:
            n = k * self.symbols + symbol  # a trade time per symbol frame: base + global blast index
            payload = market.encode_deals(k, channel, self.trade_time_base + n, 0, self.trades_per_frame)
        return _rename(payload, pair_name(symbol), channel) if symbol else payload

    def prepare(self) -> None:
        """Pre-encode every frame of every symbol (outside any timed section)."""
        for s in range(self.symbols):
            self.encoded[s] = [_binary_frame(self._frame(s, k)) for k in range(self.frames_of(s) + 1)]

    def info(self) -> dict[str, Any]:
        """What a client must reach: per symbol, the last ``toVersion`` (depth) or trade id (deals)."""
        per_symbol = []
        for s in range(self.symbols):
            last = self.frames_of(s)  # frame index of the symbol's last frame (warm-up is 0)
            ds = self.streams[s]
            per_symbol.append(
                {
                    "pair": pair_name(s),
                    "base": base_asset(s),
                    "frames": last,
                    "first_to_version": ds.to_version(1),
                    "last_to_version": ds.to_version(last),
                    "last_trade_id": str((last + 1) * self.trades_per_frame),
                }
            )
        return {
            "kind": self.kind,
            "symbols": self.symbols,
            "frames": self.frames,
            "updates_per_frame": self.updates_per_frame,
            "trades_per_frame": self.trades_per_frame,
            "trade_time_base": self.trade_time_base,
            "versions_per_frame": market.VERSIONS_PER_FRAME,
            "per_symbol": per_symbol,
        }

    # ------------------------------------------------------------------ REST
    def snapshot(self, pair: str, limit: int) -> dict[str, object] | None:
        """The REST depth body of ``pair`` (None: not a scenario symbol); the blast waits for all."""
        index = self.index_of(pair)
        if index is None:
            return None
        snap = self.streams[index].snapshot(limit)
        self.snapshots.add(index)
        if self.kind == "depth" and len(self.snapshots) >= self.symbols:
            self.ready.set()
        return snap

    # ------------------------------------------------------------------ WebSocket
    async def on_subscribe(self, ws: web.WebSocketResponse, channels: list[str], mine: list[int]) -> None:
        """After the ack of ``channels`` on one connection: warm-up frames, bookkeeping."""
        transport = ws._req.transport if ws._req is not None else None  # aiohttp keeps it here
        for channel in channels:
            symbol = self.symbol_of(channel)
            if symbol is None or symbol in mine:
                continue
            mine.append(symbol)
            self.subscribed.add(symbol)
            if transport is not None:
                transport.write(self.encoded[symbol][0])
                if self.kind == "depth":
                    self.streams[symbol].frames_sent = 1
        if self.kind == "deals" and len(self.subscribed) >= self.symbols:
            self.ready.set()
        await asyncio.sleep(0)

    async def blast(self, ws: web.WebSocketResponse, mine: list[int]) -> None:
        """Once everything is ready: write this connection's symbols' frames in global order."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), READY_TIMEOUT)
        await asyncio.sleep(SETTLE_SECONDS)
        transport = ws._req.transport if ws._req is not None else None
        if transport is None or not mine:
            return
        order = sorted((k * self.symbols + s, s, k) for s in mine for k in range(1, self.frames_of(s) + 1))
        framed = [self.encoded[s][k] for _, s, k in order]
        for start in range(0, len(framed), CHUNK):
            for _ in range(MAX_WAITS):  # bounded: a client that stopped reading ends the blast
                if transport.get_write_buffer_size() <= HIGH_WATER:
                    break
                await asyncio.sleep(0.0002)
            else:
                return
            transport.write(b"".join(framed[start : start + CHUNK]))
            await asyncio.sleep(0)


def exchange_info_symbols(symbols: int) -> list[tuple[str, int, int, str]]:
    """``(base, base precision, quote precision, step)`` of every scenario symbol but BTC (listed anyway)."""
    return [(base_asset(s), 6, 2, "0.000001") for s in range(1, symbols)]
