"""The spec's ``get_performance_metrics()`` dictionary, computed from one :class:`MetricsRegistry`.

Every MEXC component of a composite exchange (REST transports, WebSocket connections, frame
decoder, local books, event streams) writes into the composite's single registry under its own
prefix; this module folds those raw names into the keys the seed spec documents
("Monitoring and Metrics"):

=================================  ===========================================================
``ws_connections_established``     sum of ``ws.<conn>.connects`` (first connects + reconnects)
``ws_connection_time_avg_ms``      weighted mean of ``ws.<conn>.connect_time`` (open + subscribe)
``ws_reconnections``               sum of ``ws.<conn>.reconnections``
``protobuf_messages_processed``    protobuf frames decoded (``*.frames.protobuf``)
``json_messages_processed``        JSON/text control frames (acks, PONG; ``*.frames.json``)
``message_processing_time_avg_ms`` mean time from frame to routed events (``mexc.ws.frame_processing``,
                                   recorded by the WS dispatch itself on 1 frame in 64)
``symbol_cache_hit_rate``          percentage of symbol conversions served from the mapper cache
``connection_reuse_rate``          percentage of REST requests sent on a pooled keep-alive connection
``api_errors``                     REST answers that were exchange errors (4xx/5xx/error envelopes)
``rate_limit_errors``              REST 429/418 answers
``connection_errors``              REST requests that failed on the network
``orderbook_resyncs``              local-book resyncs after a version gap (``book.<sym>.resyncs``)
``dropped_messages``               frames/events dropped by a bounded queue (slow consumer)
``trade_stream_gaps``              trade streams (per symbol) whose socket reconnected: trades pushed
                                   while it was down may be missing (also logged at WARNING)
``rest_latency``                   per endpoint: count, avg/p50/p99/max in ms
=================================  ===========================================================

``object_pool_hit_rate`` is reported as ``None``: this implementation does not pool objects.
Market-data records are immutable ``NamedTuple`` s (about 260 ns to build), so a pool would save
nothing and would let a consumer's reference see a recycled, changed record. The reason is in
``object_pool_note``. ``cache_hit_rate`` (the name the spec's usage example prints) is an alias of
``symbol_cache_hit_rate``. Rates are percentages (0-100); ``None`` means nothing was measured yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from exchanges.metrics import MetricsRegistry, ratio
from exchanges_mexc.ws.dispatch import FRAME_PROCESSING

OBJECT_POOL_NOTE = (
    "object pooling is not used: market-data records are immutable NamedTuples that are cheaper to "
    "build than to recycle, and a recycled record could change under a consumer that kept it"
)

__all__ = ["FRAME_PROCESSING", "OBJECT_POOL_NOTE", "SUMMARY_KEYS", "spec_metrics"]

_WS_CONNECTS = re.compile(r"^ws\..+\.connects$")
_WS_RECONNECTIONS = re.compile(r"^ws\..+\.reconnections$")
_WS_CONNECT_TIME = re.compile(r"^ws\..+\.connect_time$")
_WS_DROPPED = re.compile(r"^(ws\..+\.dropped|mexc\.ws\..+\.dropped|mexc\.ws\.private\..+\.dropped)$")
_PROTOBUF = re.compile(r"^mexc\..*frames\.protobuf$")
_JSON = re.compile(r"^mexc\..*frames\.json$")
_RESYNCS = re.compile(r"^book\..+\.resyncs$")
_REST_LATENCY = re.compile(r"^rest\.(?P<endpoint>[A-Z]+ /\S*)\.latency$")


def _sum(counters: Mapping[str, int], pattern: re.Pattern[str]) -> int:
    return sum(value for name, value in counters.items() if pattern.match(name))


def _weighted_avg_ms(histograms: Mapping[str, Mapping[str, float]], pattern: re.Pattern[str]) -> float | None:
    count = 0.0
    total = 0.0
    for name, summary in histograms.items():
        if pattern.match(name):
            count += summary["count"]
            total += summary["avg_ms"] * summary["count"]
    return total / count if count else None


def spec_metrics(
    registry: MetricsRegistry,
    *,
    symbol_cache_hit_rate: float | None,
) -> dict[str, Any]:
    """The seed spec's metric keys plus resyncs, drops and REST latency summaries (see module doc)."""
    snapshot = registry.snapshot()
    counters = dict(registry.counters())
    histograms = {name: value for name, value in snapshot.items() if isinstance(value, dict)}
    created = registry.value("rest.connections_created")
    reused = registry.value("rest.connections_reused")
    processing = histograms.get(FRAME_PROCESSING)
    processing_ms = processing["avg_ms"] if processing and processing["count"] else None
    rest_latency = {
        match["endpoint"]: summary
        for name, summary in sorted(histograms.items())
        if (match := _REST_LATENCY.match(name)) and summary["count"]
    }
    return {
        "ws_connections_established": _sum(counters, _WS_CONNECTS),
        "ws_connection_time_avg_ms": _weighted_avg_ms(histograms, _WS_CONNECT_TIME),
        "ws_reconnections": _sum(counters, _WS_RECONNECTIONS),
        "protobuf_messages_processed": _sum(counters, _PROTOBUF),
        "json_messages_processed": _sum(counters, _JSON),
        "message_processing_time_avg_ms": processing_ms,
        "object_pool_hit_rate": None,
        "object_pool_note": OBJECT_POOL_NOTE,
        "symbol_cache_hit_rate": symbol_cache_hit_rate,
        "cache_hit_rate": symbol_cache_hit_rate,
        "connection_reuse_rate": ratio(reused, reused + created) if created + reused else None,
        "api_errors": registry.value("rest.api_errors"),
        "rate_limit_errors": registry.value("rest.rate_limit_errors"),
        "connection_errors": registry.value("rest.connection_errors"),
        "orderbook_resyncs": _sum(counters, _RESYNCS),
        "dropped_messages": _sum(counters, _WS_DROPPED),
        "trade_stream_gaps": registry.value("mexc.ws.trades.possible_gaps"),
        "rest_requests": sum(summary["count"] for summary in rest_latency.values()),
        "rest_latency": rest_latency,
    }


SUMMARY_KEYS: tuple[str, ...] = (
    "ws_connections_established",
    "ws_connection_time_avg_ms",
    "ws_reconnections",
    "protobuf_messages_processed",
    "json_messages_processed",
    "message_processing_time_avg_ms",
    "symbol_cache_hit_rate",
    "connection_reuse_rate",
    "api_errors",
    "rate_limit_errors",
    "connection_errors",
    "orderbook_resyncs",
    "dropped_messages",
    "trade_stream_gaps",
    "rest_requests",
)
"""The scalar keys, in the order tools such as ``exchanges demo`` print them."""
