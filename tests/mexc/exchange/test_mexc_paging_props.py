"""Pure properties of the paging helpers: every record in the range exactly once, oldest first, even
when a window holds more records than one request may return (the window is split)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.models import Kline, KlineInterval, Symbol
from exchanges_mexc.composite.paging import iter_klines_paged, iter_windows

DAY = 86_400_000
BTC = Symbol("BTC", "USDT")


def collect(agen: object) -> list[object]:
    async def run() -> list[object]:
        return [item async for item in agen]  # type: ignore[attr-defined]

    return asyncio.run(run())


@given(
    times=st.lists(st.integers(min_value=0, max_value=3 * DAY), max_size=300),
    limit=st.integers(min_value=1, max_value=20),
    window=st.integers(min_value=3_600_000, max_value=2 * DAY),
)
def test_windows_yield_every_record_once_in_order(times: list[int], limit: int, window: int) -> None:
    records = [(t, i) for i, t in enumerate(times)]  # (timestamp, id)
    calls: list[tuple[int, int]] = []

    async def fetch(lo: int, hi: int) -> list[tuple[int, int]]:
        calls.append((lo, hi))
        inside = sorted(r for r in records if lo <= r[0] <= hi)
        return inside[:limit]  # the endpoint's cap: a full answer may hide more

    got = collect(
        iter_windows(
            fetch, 0, 3 * DAY, limit=limit, window_ms=window, key=lambda r: r[1], timestamp=lambda r: r[0]
        )
    )
    # a single millisecond holding more than `limit` records cannot be split: those beyond are lost,
    # exactly as on the exchange; everything else must come back
    crowded = {t for t in times if times.count(t) > limit}
    expected = sorted(r for r in records if r[0] not in crowded)
    assert sorted(r for r in got if r[0] not in crowded) == expected  # type: ignore[type-var]
    assert [r[0] for r in got] == sorted(r[0] for r in got)  # type: ignore[index]
    assert len({r[1] for r in got}) == len(got)  # type: ignore[index]


@given(
    opens=st.sets(st.integers(min_value=0, max_value=5000), max_size=200),
    # at least 2: a page may start with the candle containing the cursor (MEXC's limit is 1000)
    limit=st.integers(min_value=2, max_value=50),
    start=st.integers(min_value=0, max_value=2000),
)
def test_kline_pages_yield_each_candle_once(opens: set[int], limit: int, start: int) -> None:
    end = 5001
    candles = sorted(opens)

    async def page(lo: int, hi: int, n: int) -> list[Kline]:
        # like MEXC and the simulator: the candle containing lo may be included (here: one before lo)
        chosen = [t for t in candles if lo - 1 <= t <= hi][:n]
        return [Kline(BTC, KlineInterval.MINUTE_1, t, t + 1, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0) for t in chosen]

    got = [k.open_time for k in collect(iter_klines_paged(page, start, end, limit))]  # type: ignore[attr-defined]
    assert got == [t for t in candles if start <= t < end]


def test_a_full_single_millisecond_is_reported_not_silently_cut(caplog: pytest.LogCaptureFixture) -> None:
    """Eight records in one millisecond, five per request: the window cannot be split below 1 ms, so
    what MEXC's time parameters can reach (five) is yielded and a WARNING says records may be missing."""
    records = [(1_000, i) for i in range(8)]

    async def fetch(lo: int, hi: int) -> list[tuple[int, int]]:
        return [r for r in records if lo <= r[0] <= hi][:5]

    with caplog.at_level(logging.WARNING, logger="exchanges.mexc.exchange.paging"):
        got = collect(
            iter_windows(
                fetch, 0, DAY - 1, limit=5, window_ms=DAY, key=lambda r: r[1], timestamp=lambda r: r[0]
            )
        )
    assert len(got) == 5
    assert "single millisecond 1000" in caplog.text
