"""The faults the chaos proxy can inject, one enum per layer, and the record of one injected fault.

Each fault is something a real network, load balancer, WAF or misbehaving exchange has been seen to do.
They are plain values so that a test can name one explicitly (``proxy.http.inject(HttpFault.NULL_BODY)``)
and a :class:`~exchanges.testing.chaos.FaultSchedule` can draw them at random with stated rates.
"""

from __future__ import annotations

import enum

import attrs


class TcpFault(enum.Enum):
    """What happens to one proxied TCP connection (raw bytes, any protocol)."""

    STALL = "stall"
    """Both directions stop; both sockets stay open (no FIN, no RST): the silent dead peer."""
    HALF_OPEN = "half_open"
    """Server-to-client bytes stop; client-to-server bytes still flow; nothing is closed."""
    DRIP = "drip"
    """Server-to-client bytes arrive a few at a time with a pause between them."""
    RESET = "reset"
    """The client's socket is aborted with a TCP RST."""
    TRUNCATE = "truncate"
    """Server-to-client bytes are cut mid-stream and the client's socket is closed (FIN)."""


class HttpFault(enum.Enum):
    """What happens to one proxied HTTP request (not a WebSocket upgrade)."""

    SERVER_ERROR = "server_error"
    """HTTP 500/502/503/504 with an HTML-ish body."""
    EMPTY_ARRAY = "empty_array"
    """HTTP 200, body ``[]``."""
    NULL_BODY = "null_body"
    """HTTP 200, body ``null``."""
    EMPTY_OBJECT = "empty_object"
    """HTTP 200, body ``{}``."""
    TRUNCATED_JSON = "truncated_json"
    """HTTP 200, the real body cut in half."""
    GARBAGE = "garbage"
    """HTTP 200, random bytes declared as JSON."""
    RETRY_AFTER_HUGE = "retry_after_huge"
    """HTTP 429 with ``Retry-After: 99999``."""
    RETRY_AFTER_INF = "retry_after_inf"
    """HTTP 429 with ``Retry-After: inf``."""
    DELAY = "delay"
    """The real answer, late (see ``FaultSchedule.http_delay``)."""
    STALL = "stall"
    """No answer at all: the connection is held open and silent until the client gives up."""
    DROP = "drop"
    """The connection is aborted without any answer."""


class WsFault(enum.Enum):
    """What happens to one server-to-client WebSocket frame (or, for STALL, to the whole connection)."""

    DUPLICATE = "duplicate"
    """The frame is delivered twice."""
    REORDER = "reorder"
    """The frame is held back and delivered after the next one."""
    DROP = "drop"
    """The frame is never delivered."""
    DELAY = "delay"
    """The frame (and every frame after it, order kept) is delivered late."""
    CORRUPT = "corrupt"
    """Some bytes of the frame are flipped (text frames stay text, binary stay binary)."""
    STALL = "stall"
    """From this frame on nothing is forwarded either way (protocol PINGs included); sockets stay open."""


class Forwarding(enum.Enum):
    """Whether an HTTP request reached the upstream server before its fault was applied."""

    BEFORE = "before"
    """The fault replaces the exchange: the request never reaches the server."""
    AFTER = "after"
    """The request reached the server (an order is booked), then the answer is replaced or lost."""


@attrs.frozen(slots=True)
class InjectedFault:
    """One fault the proxy really applied: which, where, and (for HTTP) whether the server saw the request."""

    layer: str
    """``"tcp"``, ``"http"`` or ``"ws"``."""
    fault: TcpFault | HttpFault | WsFault
    target: str
    """The request path, or ``"conn#N"`` for a connection."""
    forwarding: Forwarding | None = None
