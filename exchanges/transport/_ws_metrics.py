"""The metrics of one reconnecting WebSocket, all named ``ws.<name>.<metric>``."""

from __future__ import annotations

from exchanges.metrics import Counter, Gauge, LatencyHistogram, MetricsRegistry


class WsMetrics:
    """Created once per connection object; the hot path increments these directly."""

    __slots__ = (
        "connect_time",
        "connects",
        "discarded",
        "frames_binary",
        "frames_text",
        "handler_errors",
        "keepalives",
        "liveness_timeouts",
        "queue_depth",
        "reconnections",
        "rotation_failures",
        "rotation_timeouts",
        "rotations",
        "state",
    )

    def __init__(self, metrics: MetricsRegistry, prefix: str) -> None:
        self.frames_text: Counter = metrics.counter(prefix + "frames_text")
        self.frames_binary: Counter = metrics.counter(prefix + "frames_binary")
        self.discarded: Counter = metrics.counter(prefix + "discarded")
        """Frames an old socket received after delivery switched to its replacement."""
        self.handler_errors: Counter = metrics.counter(prefix + "handler_errors")
        self.connects: Counter = metrics.counter(prefix + "connects")
        self.reconnections: Counter = metrics.counter(prefix + "reconnections")
        self.rotations: Counter = metrics.counter(prefix + "rotations")
        self.rotation_failures: Counter = metrics.counter(prefix + "rotation_failures")
        self.rotation_timeouts: Counter = metrics.counter(prefix + "rotation_timeouts")
        self.keepalives: Counter = metrics.counter(prefix + "keepalives")
        self.liveness_timeouts: Counter = metrics.counter(prefix + "liveness_timeouts")
        """Sockets declared dead because nothing was heard within the liveness timeout."""
        self.state: Gauge = metrics.gauge(prefix + "state")
        """1 connected, 0 connecting or reconnecting, -1 closed, -2 failed (gave up)."""
        self.connect_time: LatencyHistogram = metrics.histogram(prefix + "connect_time")
        """Open plus subscribe, per connection."""
        self.queue_depth: Gauge = metrics.gauge(prefix + "queue_depth")
