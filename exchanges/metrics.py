"""Counters and latency histograms behind ``get_performance_metrics()`` and health checks.

Cheap enough to stay on in the hot path: a counter is one attribute increment, a histogram
sample is one ``bisect`` into fixed logarithmic buckets. No locks: everything runs on one event
loop. Metric names never carry secrets (callers name endpoints and channels, not keys).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from typing import Any

__all__ = [
    "Counter",
    "Gauge",
    "LatencyHistogram",
    "MetricsRegistry",
    "ratio",
]

# Bucket upper bounds in seconds: 1 us .. ~100 s, 4 buckets per decade.
_BOUNDS: tuple[float, ...] = tuple(10 ** (exp / 4) for exp in range(-24, 9))


class Counter:
    """A monotonically increasing integer."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount


class Gauge:
    """A value that goes up and down (open connections, queue depth)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def set(self, value: float) -> None:
        self.value = value

    def add(self, delta: float) -> None:
        self.value += delta


class LatencyHistogram:
    """Latency samples in seconds, kept as counts per logarithmic bucket plus exact sum/min/max.

    Quantiles are read from the bucket bounds, so they are accurate to one bucket (about 78 %
    relative width); the mean is exact.
    """

    __slots__ = ("_counts", "count", "max", "min", "total")

    def __init__(self) -> None:
        self._counts = [0] * (len(_BOUNDS) + 1)
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = 0.0

    def record(self, seconds: float) -> None:
        self._counts[bisect.bisect_left(_BOUNDS, seconds)] += 1
        self.count += 1
        self.total += seconds
        if seconds < self.min:
            self.min = seconds
        if seconds > self.max:
            self.max = seconds

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def quantile(self, q: float) -> float:
        """The upper bound of the bucket holding the q-th quantile (0 <= q <= 1), clipped to max."""
        if not self.count:
            return 0.0
        rank = q * self.count
        seen = 0
        for index, bucket_count in enumerate(self._counts):
            seen += bucket_count
            if seen >= rank and bucket_count:
                bound = _BOUNDS[index] if index < len(_BOUNDS) else self.max
                return min(bound, self.max)
        return self.max

    def snapshot_ms(self) -> dict[str, float]:
        """Count, mean, p50, p99 and max in milliseconds."""
        return {
            "count": self.count,
            "avg_ms": self.mean * 1e3,
            "p50_ms": self.quantile(0.5) * 1e3,
            "p99_ms": self.quantile(0.99) * 1e3,
            "max_ms": self.max * 1e3,
        }


class MetricsRegistry:
    """Named counters, gauges and histograms, created on first use and kept for the object's life.

    Hot paths fetch their metric object once (``counter = registry.counter("x")``) and increment
    it directly; only ``snapshot()`` walks the names.
    """

    def __init__(self) -> None:
        self._counters: dict[str, Counter] = {}
        self._gauges: dict[str, Gauge] = {}
        self._histograms: dict[str, LatencyHistogram] = {}

    def counter(self, name: str) -> Counter:
        found = self._counters.get(name)
        if found is None:
            found = self._counters[name] = Counter()
        return found

    def gauge(self, name: str) -> Gauge:
        found = self._gauges.get(name)
        if found is None:
            found = self._gauges[name] = Gauge()
        return found

    def histogram(self, name: str) -> LatencyHistogram:
        found = self._histograms.get(name)
        if found is None:
            found = self._histograms[name] = LatencyHistogram()
        return found

    def counters(self) -> Iterator[tuple[str, int]]:
        for name, counter in self._counters.items():
            yield name, counter.value

    def value(self, name: str) -> int:
        """A counter's value, 0 if it was never created."""
        found = self._counters.get(name)
        return found.value if found else 0

    def snapshot(self) -> dict[str, Any]:
        """All metrics as plain data: counters and gauges by name, histograms as ms summaries."""
        data: dict[str, Any] = {name: counter.value for name, counter in self._counters.items()}
        data.update({name: gauge.value for name, gauge in self._gauges.items()})
        data.update({name: hist.snapshot_ms() for name, hist in self._histograms.items()})
        return data


def ratio(hits: int, total: int) -> float:
    """Percentage of hits in total, 0.0 when there was nothing to count."""
    return 100.0 * hits / total if total else 0.0
