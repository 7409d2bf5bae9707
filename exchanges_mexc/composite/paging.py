"""Auto-paging over MEXC's per-request limits and time windows, as async generators.

* Candles (``/api/v3/klines``): at most 1000 per request; the next page starts one millisecond after
  the last candle's open time, so each candle is yielded once, oldest first.
* Orders (``/api/v3/allOrders``) and fills (``/api/v3/myTrades``): MEXC answers at most 1000 orders /
  100 fills per request and only within a bounded window (orders: the last 7 days; fills: about one
  month). The range is walked in windows of ``window_ms`` (one day by default); a window that comes
  back full is split in half and asked again, so nothing is cut off by the per-request limit.

Every generator yields records oldest first and each at most once (keyed by id). A window of one
millisecond that still comes back full cannot be split further: its records beyond the limit are not
reachable through MEXC's time parameters, and a WARNING says so (a market order sweeping more than 100
levels can do this to fills).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from exchanges.models import Fill, Kline, Order, Symbol
from exchanges_mexc.constants import MAX_ALL_ORDERS_LIMIT, MAX_MY_TRADES_LIMIT
from exchanges_mexc.rest.private import MexcPrivateSpotRest

logger = logging.getLogger("exchanges.mexc.exchange.paging")

T = TypeVar("T")

DAY_MS = 24 * 3600 * 1000
MAX_ORDER_HISTORY_MS = 7 * DAY_MS
"""MEXC allOrders answers only the last 7 days."""
MAX_TRADE_HISTORY_MS = 30 * DAY_MS
"""MEXC myTrades answers only about the last month."""

CLOCK_SLACK_MS = 1000
"""How far past our estimate of MEXC's clock a default window ends. The estimate is measured only to
within half a sync round trip (and drifts), so it can be behind MEXC's clock: an order booked just now
may carry a later ``time`` than our "now". An end in the future costs nothing; an end in the past
would silently leave the newest records out."""

KlinePage = Callable[[int, int, int], Awaitable[list[Kline]]]
"""``(start_ms, end_ms, limit) -> candles`` oldest first."""


async def iter_klines_paged(
    fetch: KlinePage, start_time: int, end_time: int, limit: int
) -> AsyncIterator[Kline]:
    """Every candle opening in ``[start_time, end_time)``, oldest first, ``limit`` per request."""
    cursor = start_time
    last_open = -1
    while cursor < end_time:
        page = await fetch(cursor, end_time - 1, limit)
        fresh = [k for k in page if cursor <= k.open_time < end_time and k.open_time > last_open]
        for kline in fresh:
            yield kline
        if not fresh or len(page) < limit:
            return
        last_open = fresh[-1].open_time
        cursor = last_open + 1


WindowFetch = Callable[[int, int], Awaitable[list[T]]]
"""``(start_ms, end_ms) -> records`` of that inclusive window (at most the endpoint's limit)."""


async def iter_windows(
    fetch: WindowFetch[T],
    start_time: int,
    end_time: int,
    *,
    limit: int,
    window_ms: int,
    key: Callable[[T], object],
    timestamp: Callable[[T], int],
) -> AsyncIterator[T]:
    """Walk ``[start_time, end_time]`` in windows; split a window whose answer is full (``limit``)."""
    seen: set[object] = set()
    pending = [(start_time, min(end_time, start_time + window_ms - 1))]
    next_start = pending[0][1] + 1
    while pending:
        lo, hi = pending.pop(0)
        rows = await fetch(lo, hi)
        if len(rows) >= limit and hi > lo:
            mid = lo + (hi - lo) // 2
            pending[:0] = [(lo, mid), (mid + 1, hi)]
            continue
        if len(rows) >= limit:
            logger.warning(
                "MEXC answered a full page (%d) for the single millisecond %d: records past the limit "
                "cannot be reached by time and may be missing",
                limit,
                lo,
            )
        for row in sorted(rows, key=timestamp):
            ident = key(row)
            if ident not in seen:
                seen.add(ident)
                yield row
        if not pending and next_start <= end_time:
            pending.append((next_start, min(end_time, next_start + window_ms - 1)))
            next_start = pending[0][1] + 1


async def iter_history(
    fetch: WindowFetch[T],
    start_time: int | None,
    end_time: int | None,
    *,
    now_ms: int,
    max_back_ms: int,
    limit: int,
    key: Callable[[T], object],
    timestamp: Callable[[T], int],
) -> AsyncIterator[T]:
    """:func:`iter_windows` over ``[start_time, end_time]``; defaults: up to ``now_ms`` (our estimate
    of MEXC's clock) plus :data:`CLOCK_SLACK_MS`, from as far back as the endpoint answers
    (``max_back_ms`` before ``now_ms``), walked one day at a time."""
    end = end_time if end_time is not None else now_ms + CLOCK_SLACK_MS
    start = start_time if start_time is not None else (now_ms if end_time is None else end) - max_back_ms + 1
    async for item in iter_windows(
        fetch, start, end, limit=limit, window_ms=DAY_MS, key=key, timestamp=timestamp
    ):
        yield item


def iter_order_history(
    rest: MexcPrivateSpotRest, symbol: Symbol, start_time: int | None, end_time: int | None
) -> AsyncIterator[Order]:
    """Every order of ``symbol`` created in the window (default: as far back as MEXC answers, 7 days)."""

    async def fetch(lo: int, hi: int) -> list[Order]:
        return await rest.get_all_orders(symbol, lo, hi, MAX_ALL_ORDERS_LIMIT)

    return iter_history(
        fetch,
        start_time,
        end_time,
        now_ms=rest.signed.clock.now_ms(),
        max_back_ms=MAX_ORDER_HISTORY_MS,
        limit=MAX_ALL_ORDERS_LIMIT,
        key=lambda order: order.order_id,
        timestamp=lambda order: order.timestamp,
    )


def iter_my_trades(
    rest: MexcPrivateSpotRest, symbol: Symbol, start_time: int | None, end_time: int | None
) -> AsyncIterator[Fill]:
    """Every fill of ``symbol`` in the window (default: as far back as MEXC answers, about a month)."""

    async def fetch(lo: int, hi: int) -> list[Fill]:
        return await rest.get_my_trades(symbol, lo, hi, MAX_MY_TRADES_LIMIT)

    return iter_history(
        fetch,
        start_time,
        end_time,
        now_ms=rest.signed.clock.now_ms(),
        max_back_ms=MAX_TRADE_HISTORY_MS,
        limit=MAX_MY_TRADES_LIMIT,
        key=lambda fill: fill.trade_id,
        timestamp=lambda fill: fill.timestamp,
    )
