"""A picture of a recording: per symbol, mid price and spread over time, traded volume, and markers
for silent gaps (grey bands), book resyncs (orange lines) and reconnects (red lines).

Drawn from the replayed book tops and trades (see :mod:`exchanges.recording.collect`) with
matplotlib's non-interactive Agg backend. Needs the optional ``analysis`` extra.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from exchanges.recording.collect import Collected
from exchanges.recording.errors import RecordingError

__all__ = ["VOLUME_BUCKET_SECONDS", "draw_report"]

VOLUME_BUCKET_SECONDS = 1.0


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise RecordingError("the report needs matplotlib: pip install 'exchanges[analysis]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot


def draw_report(collected: Collected, out: str | os.PathLike[str], *, title: str = "") -> int:
    """Write the PNG to ``out``; returns the number of symbols drawn."""
    plt = _pyplot()
    mids: dict[str, tuple[list[float], list[float], list[float]]] = defaultdict(lambda: ([], [], []))
    for book in collected.books:
        if book.bids and book.asks:
            times, mid, spread = mids[str(book.symbol)]
            times.append(book.timestamp / 1000.0)
            bid, ask = book.bids[0][0], book.asks[0][0]
            mid.append((bid + ask) / 2)
            spread.append(ask - bid)
    volumes: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for trade in collected.trades:
        bucket = (trade.timestamp / 1000.0) // VOLUME_BUCKET_SECONDS * VOLUME_BUCKET_SECONDS
        volumes[str(trade.symbol)][bucket] += trade.quantity
    symbols = sorted(set(mids) | set(volumes))
    if not symbols:
        raise RecordingError("nothing to draw: the recording holds no book or trade of any symbol")
    origin = min(
        [times[0] for times, _, _ in mids.values() if times]
        + [min(buckets) for buckets in volumes.values() if buckets]
    )
    figure, axes = plt.subplots(
        len(symbols), 2, figsize=(14, 2.6 * len(symbols)), squeeze=False, constrained_layout=True
    )
    markers = collected.markers
    for row, symbol in enumerate(symbols):
        price_axis, volume_axis = axes[row]
        times, mid, spread = mids.get(symbol, ([], [], []))
        relative = [t - origin for t in times]
        price_axis.plot(relative, mid, color="tab:blue", linewidth=0.8, label="mid")
        price_axis.set_ylabel(f"{symbol}\nmid", fontsize=8)
        spread_axis = price_axis.twinx()
        spread_axis.plot(relative, spread, color="tab:green", linewidth=0.5, alpha=0.6, label="spread")
        spread_axis.set_ylabel("spread", fontsize=8, color="tab:green")
        buckets = sorted(volumes.get(symbol, {}).items())
        volume_axis.bar(
            [t - origin for t, _ in buckets],
            [v for _, v in buckets],
            width=VOLUME_BUCKET_SECONDS * 0.9,
            color="tab:purple",
            align="edge",
        )
        volume_axis.set_ylabel("volume / s", fontsize=8)
        for axis in (price_axis, volume_axis):
            for start, end in markers.gaps:
                axis.axvspan(start / 1e9 - origin, end / 1e9 - origin, color="grey", alpha=0.3)
            for at in markers.resyncs.get(symbol, []):
                axis.axvline(at / 1e9 - origin, color="tab:orange", linewidth=1.0, linestyle="--")
            for at in markers.reconnects:
                axis.axvline(at / 1e9 - origin, color="tab:red", linewidth=1.0)
            axis.tick_params(labelsize=7)
    axes[-1][0].set_xlabel("seconds since start (grey: gap, orange: resync, red: reconnect)", fontsize=8)
    axes[-1][1].set_xlabel("seconds since start", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.savefig(out, dpi=80)
    plt.close(figure)
    return len(symbols)
