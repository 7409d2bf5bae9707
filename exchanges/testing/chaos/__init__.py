"""The chaos layer: fault-injecting proxies for testing any exchange plugin against its simulator.

Two proxies sit on loopback between a client and a server and misbehave on a seeded schedule:

* :class:`ChaosProxy` speaks HTTP and WebSocket: 5xx, wrong-shape or garbage 200 bodies, truncated JSON,
  absurd ``Retry-After`` headers, delays, stalls and dropped connections for requests; duplicated,
  reordered, dropped, delayed and corrupted frames, and stalls (silent, never closed) for WebSockets.
* :class:`TcpChaosProxy` relays raw bytes: stall (open and silent, no FIN/RST), half-open, slow drip,
  reset (RST) and truncation, for any protocol.

Both draw their faults from a :class:`FaultSchedule` (reproducible from its seed, printed in its repr;
``CHAOS_SEED`` replays one) or take explicit ones from a test. Nothing here knows any exchange. See
docs/testing-with-chaos.md.
"""

from exchanges.testing.chaos._faults import Forwarding, HttpFault, InjectedFault, TcpFault, WsFault
from exchanges.testing.chaos._http import ChaosProxy
from exchanges.testing.chaos._schedule import SEED_VARIABLE, FaultSchedule, HttpDecision, TcpDecision
from exchanges.testing.chaos._tcp import TcpChaosProxy
from exchanges.testing.chaos._urls import rewrite_url

__all__ = [
    "SEED_VARIABLE",
    "ChaosProxy",
    "FaultSchedule",
    "Forwarding",
    "HttpDecision",
    "HttpFault",
    "InjectedFault",
    "TcpChaosProxy",
    "TcpDecision",
    "TcpFault",
    "WsFault",
    "rewrite_url",
]
