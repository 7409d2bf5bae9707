"""Deterministic synthetic market for the benchmark server: MEXC protobuf frames and a consistent REST book.

The order book is a fixed ladder of ``LEVELS`` bid and ask prices. Depth update number ``s`` (counting
from 0 over the whole scenario) sets level ``s % LEVELS`` of both sides to the absolute quantity
``quantity(s)``, which is ``0`` (delete) for every 17th update. A frame carries ``UPDATES_PER_FRAME``
consecutive updates and covers ``VERSIONS_PER_FRAME`` versions, so after any frame the whole book state is
a pure function of the last version sent: the REST snapshot (``lastUpdateId`` = last ``toVersion`` sent)
is exactly the book a correct client holds after applying that frame. That is what lets both our client
and ccxt.pro synchronise without a single resync, and lets the bench check the final book.

Frames are encoded once, before a blast, with the generated classes in ``exchanges_mexc._proto`` (the
same wire format as MEXC: ``PushDataV3ApiWrapper`` with ``publicAggreDeals`` #314 / ``publicAggreDepths``
#313). Timestamps that the client reads back for latency are **microseconds** (see docs/performance.md).
"""

from __future__ import annotations

from exchanges_mexc._proto import PushDataV3ApiWrapper_pb2

SYMBOL = "BTCUSDT"
LEVELS = 200
"""Price levels per side in the synthetic ladder."""
UPDATES_PER_FRAME = 5
"""Level updates per side per depth frame (10 entries per frame)."""
VERSIONS_PER_FRAME = 5
"""Versions covered by one depth frame (``toVersion - fromVersion + 1``)."""
TRADES_PER_FRAME = 3
"""Trades per ``aggre.deals`` frame."""
MID = 50_000.0
TICK = 0.5
DEALS_EVENT = "spot@public.aggre.deals.v3.api.pb@100ms"
DEPTH_EVENT = "spot@public.aggre.depth.v3.api.pb@100ms"


def bid_price(level: int) -> str:
    """Price of bid level ``level`` (0 = best) as MEXC sends it: a decimal string."""
    return f"{MID - TICK * (level + 1):.2f}"


def ask_price(level: int) -> str:
    """Price of ask level ``level`` (0 = best)."""
    return f"{MID + TICK * (level + 1):.2f}"


def quantity(update: int) -> str:
    """Absolute quantity set by depth update number ``update``; ``"0"`` deletes the level.

    Negative numbers give the initial ladder (before any update), which is never empty.
    """
    if update >= 0 and update % 17 == 0:
        return "0"
    return f"{(update * 7919) % 1000 / 100 + 0.01:.4f}"


def book_state(updates_done: int, limit: int = LEVELS) -> tuple[list[list[str]], list[list[str]]]:
    """``(bids, asks)`` after ``updates_done`` depth updates, best first, zero levels removed.

    Both sides get the same quantities (each update touches one bid and one ask level).
    """
    levels: list[tuple[int, str]] = []
    last = updates_done - 1
    for j in range(LEVELS):
        if last >= j:
            s = j + LEVELS * ((last - j) // LEVELS)
            qty = quantity(s)
        else:
            qty = quantity(-1 - j)
        if qty != "0":
            levels.append((j, qty))
    levels = levels[:limit]
    bids = [[bid_price(j), q] for j, q in levels]
    asks = [[ask_price(j), q] for j, q in levels]
    return bids, asks


class DepthStream:
    """Version bookkeeping of one depth scenario: frame ``i`` covers versions ``first + i*k .. +k-1``."""

    def __init__(self, base_version: int, updates_per_frame: int = UPDATES_PER_FRAME) -> None:
        self.base_version = base_version
        """Version of the initial ladder (no update applied)."""
        self.updates_per_frame = updates_per_frame
        """Level updates per side per frame (5: 5+5 levels; the issue-15 frames carry 20+20)."""
        self.frames_sent = 0

    def from_version(self, frame: int) -> int:
        return self.base_version + frame * VERSIONS_PER_FRAME + 1

    def to_version(self, frame: int) -> int:
        return self.base_version + (frame + 1) * VERSIONS_PER_FRAME

    @property
    def current_version(self) -> int:
        """Version of the book after every frame sent so far (the REST snapshot's ``lastUpdateId``)."""
        return self.base_version + self.frames_sent * VERSIONS_PER_FRAME

    def snapshot(self, limit: int) -> dict[str, object]:
        """The REST ``/api/v3/depth`` body consistent with the frames sent so far."""
        bids, asks = book_state(self.frames_sent * self.updates_per_frame, limit)
        return {"lastUpdateId": self.current_version, "bids": bids, "asks": asks}

    def encode(self, frame: int, channel: str, send_time_us: int = 0) -> bytes:
        """Frame ``frame`` as a ``PushDataV3ApiWrapper`` (``sendTime`` omitted when 0)."""
        wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper(channel=channel, symbol=SYMBOL)
        if send_time_us:
            wrapper.sendTime = send_time_us
        body = wrapper.publicAggreDepths
        body.eventType = DEPTH_EVENT
        body.fromVersion = str(self.from_version(frame))
        body.toVersion = str(self.to_version(frame))
        per_frame = self.updates_per_frame
        for m in range(per_frame):
            s = frame * per_frame + m
            level = s % LEVELS
            qty = quantity(s)
            body.bids.add(price=bid_price(level), quantity=qty)
            body.asks.add(price=ask_price(level), quantity=qty)
        return wrapper.SerializeToString()


def encode_deals(
    frame: int, channel: str, trade_time: int, send_time_us: int = 0, trades_per_frame: int = TRADES_PER_FRAME
) -> bytes:
    """Deals frame ``frame``: ``trades_per_frame`` trades with ``time = trade_time``."""
    wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper(channel=channel, symbol=SYMBOL)
    if send_time_us:
        wrapper.sendTime = send_time_us
    body = wrapper.publicAggreDeals
    body.eventType = DEALS_EVENT
    for m in range(trades_per_frame):
        n = frame * trades_per_frame + m
        body.deals.add(
            price=f"{MID + ((n * 31) % 200 - 100) * 0.01:.2f}",
            quantity=f"{(n % 50 + 1) / 1000:.4f}",
            tradeType=1 + (n & 1),
            time=trade_time,
            tradeId=str(n + 1),
        )
    return wrapper.SerializeToString()
