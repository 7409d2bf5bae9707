"""Scriptable faults for tests: failing writes after they took effect, 429s, depth gaps, dropped sockets.

Every fault is one-shot or counted, so a test states exactly what goes wrong and when::

    sim.faults.fail_next_order("5xx")      # the next POST /api/v3/order is booked, then answered 500
    sim.faults.fail_next_order("timeout")  # ... booked, then no answer until the client gives up
    sim.faults.fail_next_order("body", body=b"[]")  # ... booked, then answered 200 with that body
    sim.faults.fail_next_order("truncate")  # ... booked, then half an answer and the socket closed
    sim.faults.fail_next_order("drop")     # NOT booked (lost before MEXC), answered 503
    sim.faults.slow_next(5, 0.5)           # next 5 REST requests are held 0.5 s before they run
    sim.faults.force_429(3, retry_after=2) # next 3 REST requests: HTTP 429 + Retry-After: 2
    sim.faults.skip_depth_version("BTCUSDT")   # next aggre.depth push starts one version too late
    sim.faults.repeat_depth_version("BTCUSDT") # next aggre.depth push starts at the previous toVersion
    sim.faults.repeat_deals_on_subscribe(1)    # a (re)subscribed aggre.deals channel gets its last push again
    sim.faults.drop_connections()          # abort every WebSocket (no close frame)
    sim.faults.delay_pushes(0.5)           # every push leaves 0.5 s late (0 to stop)
    sim.faults.delay_subscriptions(1.0)    # each SUBSCRIPTION starts (and is acked) 1 s later (0 to stop)
    sim.faults.unanswered_subscriptions(1) # next SUBSCRIPTION takes effect but gets no answer
    sim.faults.refuse_subscriptions(1)     # next SUBSCRIPTION is refused ("Blocked")
    sim.faults.stale_snapshot("BTCUSDT")   # next GET /depth answers the book as it is NOW (later: old)
    sim.faults.delay_snapshots(1.0)        # next GET /depth is taken at once, answered 1 s later
    sim.faults.drop_depth_push("BTCUSDT")  # next aggre.depth push is lost (its changes never sent)
    sim.faults.expire_listen_key(key)      # key invalid now; its private sockets are closed
"""

from __future__ import annotations

from collections.abc import Callable

import attrs


@attrs.define
class PendingFailure:
    """One scripted failure of a REST write that still takes effect."""

    method: str
    path: str
    mode: str  # "5xx" | "timeout" | "body" | "truncate" | "drop"
    status: int = 500
    body: bytes = b""
    """For ``"body"``: the 200 answer's exact bytes."""


FAILURE_MODES = ("5xx", "timeout", "body", "truncate", "drop")


class Faults:
    """Fault switches read by the REST middleware and the WebSocket pushers."""

    def __init__(self) -> None:
        self.pending: list[PendingFailure] = []
        self.slow_requests = 0
        self.slow_seconds = 0.0
        self.forced_429 = 0
        self.retry_after = 1
        self.timeout_seconds = 30.0
        self.push_delay = 0.0
        self.subscription_delay = 0.0
        self.unanswered_subscribes = 0
        self.refused_subscribes = 0
        self.skip_depth: dict[str, int] = {}
        self.repeat_depth: dict[str, int] = {}
        self.repeat_deals = 0
        self.stale_depth: dict[str, tuple[int, object]] = {}
        """symbol -> (answers left, the depth answer captured when the fault was armed)."""
        self.snapshot_delay = 0.0
        self.delayed_snapshots = 0
        self.drop_depth: dict[str, int] = {}
        self.on_capture_depth: Callable[[str], object] | None = None
        self.on_drop_connections: Callable[[], None] | None = None
        self.on_expire_listen_key: Callable[[str], None] | None = None

    def fail_next_order(self, mode: str = "5xx", *, status: int = 500, body: bytes = b"") -> None:
        """The next POST /api/v3/order fails in ``mode``: executed (order booked) then answered ``status``
        (``"5xx"``), never (``"timeout"``), 200 with ``body`` (``"body"``: ``[]``, ``null``, garbage...)
        or half an answer and a closed socket (``"truncate"``); or NOT executed and answered ``status``
        (``"drop"``: lost before reaching the matching engine)."""
        self.fail_next("POST", "/api/v3/order", mode, status=status, body=body)

    def fail_next(
        self, method: str, path: str, mode: str = "5xx", *, status: int = 500, body: bytes = b""
    ) -> None:
        """Same as :meth:`fail_next_order` for any endpoint (e.g. DELETE /api/v3/order)."""
        if mode not in FAILURE_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAILURE_MODES)}")
        if mode == "drop" and status == 500:
            status = 503
        self.pending.append(PendingFailure(method.upper(), path, mode, status, body))

    def take_failure(self, method: str, path: str, *, before: bool = False) -> PendingFailure | None:
        """Consume the first pending failure matching this request: with ``before`` only a ``"drop"``
        (checked before the handler runs), else any other mode (checked after it ran)."""
        for i, failure in enumerate(self.pending):
            if failure.method == method and failure.path == path and (failure.mode == "drop") == before:
                return self.pending.pop(i)
        return None

    def slow_next(self, count: int, seconds: float) -> None:
        """Hold each of the next ``count`` REST requests ``seconds`` before it runs (a slow connection)."""
        self.slow_requests = max(0, count)
        self.slow_seconds = max(0.0, seconds)

    def take_slow(self) -> float:
        """Seconds to hold this request (0.0 for none); consumes one slow request."""
        if self.slow_requests <= 0:
            return 0.0
        self.slow_requests -= 1
        return self.slow_seconds

    def force_429(self, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``count`` REST requests with HTTP 429 and ``Retry-After``."""
        self.forced_429 = count
        self.retry_after = retry_after

    def take_429(self) -> int | None:
        """Retry-After for a forced 429, or None."""
        if self.forced_429 <= 0:
            return None
        self.forced_429 -= 1
        return self.retry_after

    def skip_depth_version(self, symbol: str, count: int = 1) -> None:
        """The next aggre.depth push(es) of ``symbol`` jump one version (a gap the client must detect)."""
        self.skip_depth[symbol.upper()] = self.skip_depth.get(symbol.upper(), 0) + count

    def repeat_depth_version(self, symbol: str, count: int = 1) -> None:
        """The next aggre.depth push(es) of ``symbol`` start at the previous toVersion (an overlap)."""
        self.repeat_depth[symbol.upper()] = self.repeat_depth.get(symbol.upper(), 0) + count

    def take_depth_fault(self, symbol: str) -> int:
        """+1 for a skip, -1 for a repeat, 0 for none (consumes one)."""
        if self.skip_depth.get(symbol, 0) > 0:
            self.skip_depth[symbol] -= 1
            return 1
        if self.repeat_depth.get(symbol, 0) > 0:
            self.repeat_depth[symbol] -= 1
            return -1
        return 0

    def stale_snapshot(self, symbol: str, count: int = 1) -> None:
        """Capture ``symbol``'s REST depth answer now and serve it to the next ``count`` depth
        requests: by then the market has moved, so the snapshot is older than the pushes a client
        has buffered (as a lagging cache in front of MEXC's REST API would answer)."""
        if self.on_capture_depth is None:
            raise RuntimeError("stale_snapshot needs a running simulator")
        key = symbol.upper()
        self.stale_depth[key] = (count, self.on_capture_depth(key))

    def take_stale_snapshot(self, symbol: str) -> object | None:
        """The captured depth answer for this request, or None (consumes one)."""
        left, answer = self.stale_depth.get(symbol, (0, None))
        if left <= 0:
            return None
        if left == 1:
            del self.stale_depth[symbol]
        else:
            self.stale_depth[symbol] = (left - 1, answer)
        return answer

    def delay_snapshots(self, seconds: float, count: int = 1) -> None:
        """The next ``count`` REST depth answers are taken when the request arrives and sent
        ``seconds`` later (the pushes of that time reach the client first)."""
        self.snapshot_delay = max(0.0, seconds)
        self.delayed_snapshots = count

    def take_snapshot_delay(self) -> float:
        """Seconds to hold this depth answer (consumes one)."""
        if self.delayed_snapshots <= 0:
            return 0.0
        self.delayed_snapshots -= 1
        return self.snapshot_delay

    def drop_depth_push(self, symbol: str, count: int = 1) -> None:
        """The next ``count`` aggre.depth pushes of ``symbol`` are lost: their changes are never sent
        and the next push's fromVersion shows the hole (a lost packet the client must notice)."""
        self.drop_depth[symbol.upper()] = self.drop_depth.get(symbol.upper(), 0) + count

    def take_depth_drop(self, symbol: str) -> bool:
        if self.drop_depth.get(symbol, 0) > 0:
            self.drop_depth[symbol] -= 1
            return True
        return False

    def repeat_deals_on_subscribe(self, pushes: int = 1) -> None:
        """From now on, a connection that subscribes an aggre.deals channel first receives the last
        ``pushes`` pushes of that channel again (at most 8), as MEXC may repeat trades on a reconnected
        or a rotation's replacement socket. 0 turns it off."""
        self.repeat_deals = max(0, min(pushes, 8))

    def drop_connections(self) -> None:
        """Abort every open WebSocket at once, without a close frame."""
        if self.on_drop_connections is not None:
            self.on_drop_connections()

    def delay_pushes(self, seconds: float) -> None:
        """Delay every WS push by ``seconds`` (0 turns it off)."""
        self.push_delay = max(0.0, seconds)

    def delay_subscriptions(self, seconds: float) -> None:
        """From now on each SUBSCRIPTION request takes effect ``seconds`` after it arrives: its
        channels start pushing and are acknowledged only then (a busy gateway; 0 turns it off).
        Pushes of the meantime are not sent on that connection, so a client that takes its depth
        snapshot before the acknowledgement has a hole between the snapshot and the stream."""
        self.subscription_delay = max(0.0, seconds)

    def unanswered_subscriptions(self, count: int = 1) -> None:
        """The next ``count`` SUBSCRIPTION requests take effect (pushes start) but are never answered
        (a lost acknowledgement)."""
        self.unanswered_subscribes = max(0, count)

    def take_unanswered_subscription(self) -> bool:
        if self.unanswered_subscribes <= 0:
            return False
        self.unanswered_subscribes -= 1
        return True

    def refuse_subscriptions(self, count: int = 1) -> None:
        """The next ``count`` SUBSCRIPTION requests are refused: every channel in them is answered
        ``Not Subscribed successfully! [...]. Reason： Blocked!`` and not subscribed."""
        self.refused_subscribes = max(0, count)

    def take_refused_subscription(self) -> bool:
        if self.refused_subscribes <= 0:
            return False
        self.refused_subscribes -= 1
        return True

    def expire_listen_key(self, key: str) -> None:
        """Invalidate ``key`` now and close the private sockets using it."""
        if self.on_expire_listen_key is not None:
            self.on_expire_listen_key(key)

    def clear(self) -> None:
        """Remove every pending fault."""
        self.pending.clear()
        self.slow_requests = 0
        self.forced_429 = 0
        self.push_delay = 0.0
        self.subscription_delay = 0.0
        self.unanswered_subscribes = 0
        self.refused_subscribes = 0
        self.skip_depth.clear()
        self.repeat_depth.clear()
        self.stale_depth.clear()
        self.delayed_snapshots = 0
        self.drop_depth.clear()
        self.repeat_deals = 0
