"""``FaultSchedule``: which fault the chaos proxy applies next, drawn from a seed or set by a test.

A schedule is reproducible: the same seed gives the same sequence of decisions for each layer (HTTP
requests in arrival order; each TCP or WebSocket connection from its own stream, so interleaving between
connections does not change what one connection sees). Its ``repr`` names the seed, so a failing test that
includes the schedule in its message (or a fixture that prints it) says how to replay the run::

    schedule = FaultSchedule(seed, http={HttpFault.SERVER_ERROR: 0.05}, ws={WsFault.DUPLICATE: 0.01})
    schedule.inject(HttpFault.NULL_BODY, path="/api/v3/order", forwarding=Forwarding.AFTER)  # explicit, next

Rates are probabilities per decision (per request, per frame, per connection). Explicitly injected faults
are applied first, in order, and only once each. ``must_include`` faults are guaranteed on every seed: each
replaces the random draw at a seeded position among its layer's first ``must_include_within`` random
decisions, so a test's "the run really exercised X" check holds whatever the seed. ``calm()`` stops random
faults (explicit ones still apply) so a test can reach a checkpoint; ``resume()`` starts them again.
"""

from __future__ import annotations

import math
import os
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TypeVar

import attrs

from exchanges.testing.chaos._faults import Forwarding, HttpFault, InjectedFault, TcpFault, WsFault

_Fault = TypeVar("_Fault", TcpFault, HttpFault, WsFault)

_REFUSALS = frozenset({HttpFault.RETRY_AFTER_HUGE, HttpFault.RETRY_AFTER_INF})
"""A 429 means the gateway refused the request unprocessed: drawn at random, always ``Forwarding.BEFORE``."""

SEED_VARIABLE = "CHAOS_SEED"
"""Environment variable :meth:`FaultSchedule.from_env` reads a seed from (to replay a failing run)."""


@attrs.frozen(slots=True)
class HttpDecision:
    """The fault for one HTTP request and whether the request reaches the server first."""

    fault: HttpFault
    forwarding: Forwarding


@attrs.frozen(slots=True)
class TcpDecision:
    """The fault for one TCP connection and after how many server-to-client bytes it starts."""

    fault: TcpFault
    after_bytes: int


@attrs.frozen(slots=True)
class _Explicit:
    fault: HttpFault
    forwarding: Forwarding
    method: str | None
    path: str | None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path == path)


def _check_rates(rates: Mapping[_Fault, float], kind: str) -> dict[_Fault, float]:
    checked = dict(rates)
    for fault, rate in checked.items():
        if not (isinstance(rate, int | float) and math.isfinite(rate) and 0 <= rate <= 1):
            raise ValueError(f"{kind} rate for {fault} must be a probability in [0, 1], got {rate!r}")
    if sum(checked.values()) > 1:
        raise ValueError(f"{kind} rates add up to {sum(checked.values())}, more than 1")
    return checked


class FaultSchedule:
    """Seeded random fault decisions for every layer, plus faults a test sets explicitly."""

    def __init__(
        self,
        seed: int,
        *,
        tcp: Mapping[TcpFault, float] | None = None,
        http: Mapping[HttpFault, float] | None = None,
        ws: Mapping[WsFault, float] | None = None,
        http_after_rate: float = 0.5,
        http_paths: tuple[str, ...] | None = None,
        http_delay: float = 0.5,
        ws_delay: float = 0.3,
        tcp_after_bytes: tuple[int, int] = (0, 4096),
        drip_bytes: int = 7,
        drip_interval: float = 0.05,
        must_include: Iterable[TcpFault | HttpFault | WsFault] = (),
        must_include_within: int = 20,
    ) -> None:
        """Rates per layer (probabilities per decision); the rest tunes how each fault behaves.

        ``http_after_rate``: share of random HTTP faults applied after the server saw the request (e.g. an
        order booked, then answered ``null``); 429 faults are always applied before (a 429 is a refusal).
        ``http_paths``: only requests to these paths get random faults (``None``: all).
        ``tcp_after_bytes``: a TCP fault starts
        after a random number of server-to-client bytes in this range.
        ``must_include``: faults applied at least once whatever the seed (repeat one to require it more
        often). Each takes the place of the random draw at a seeded position among the first
        ``must_include_within`` random decisions of its layer (counted across that layer's connections,
        only while the schedule is active and, for HTTP, on ``http_paths``); the other draws are unchanged.
        """
        self.seed = seed
        self._tcp_rates = _check_rates(tcp or {}, "tcp")
        self._http_rates = _check_rates(http or {}, "http")
        self._ws_rates = _check_rates(ws or {}, "ws")
        if not 0 <= http_after_rate <= 1:
            raise ValueError(f"http_after_rate must be in [0, 1], got {http_after_rate!r}")
        self.http_after_rate = http_after_rate
        self.http_paths = http_paths
        self.http_delay = http_delay
        self.ws_delay = ws_delay
        self.tcp_after_bytes = tcp_after_bytes
        self.drip_bytes = drip_bytes
        self.drip_interval = drip_interval
        self.active = True
        self.injected: list[InjectedFault] = []
        """Every fault the proxy applied, in order (for assertions and failure messages)."""
        self._http_random = random.Random(f"{seed}:http")
        self._explicit_http: list[_Explicit] = []
        self._explicit_tcp: list[TcpFault] = []
        self._explicit_ws: list[WsFault] = []
        self._required = _RequiredFaults(seed, tuple(must_include), must_include_within)

    @classmethod
    def from_env(cls, *, default_seed: int | None = None, **options: object) -> FaultSchedule:
        """A schedule seeded from ``$CHAOS_SEED`` if set, else ``default_seed``, else a fresh random seed."""
        text = os.environ.get(SEED_VARIABLE)
        if text:
            seed = int(text)
        elif default_seed is not None:
            seed = default_seed
        else:
            seed = random.SystemRandom().randrange(2**32)
        return cls(seed, **options)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"FaultSchedule(seed={self.seed}) [replay with {SEED_VARIABLE}={self.seed}]"

    def calm(self) -> None:
        """Stop drawing random faults (explicit injections still apply)."""
        self.active = False

    def resume(self) -> None:
        """Draw random faults again."""
        self.active = True

    def counts(self) -> Counter[str]:
        """How many times each fault was applied, keyed ``"layer:fault"``."""
        return Counter(f"{f.layer}:{f.fault.value}" for f in self.injected)

    # explicit faults

    def inject(
        self,
        fault: HttpFault | TcpFault | WsFault,
        *,
        method: str | None = None,
        path: str | None = None,
        forwarding: Forwarding = Forwarding.BEFORE,
    ) -> None:
        """Apply ``fault`` to the next matching request, connection or frame (once)."""
        if isinstance(fault, HttpFault):
            self._explicit_http.append(_Explicit(fault, forwarding, method, path))
        elif isinstance(fault, TcpFault):
            self._explicit_tcp.append(fault)
        else:
            self._explicit_ws.append(fault)

    # decisions (called by the proxy)

    def next_http(self, method: str, path: str) -> HttpDecision | None:
        """The fault for this request, if any; explicit ones first."""
        for index, explicit in enumerate(self._explicit_http):
            if explicit.matches(method, path):
                del self._explicit_http[index]
                return self._record_http(HttpDecision(explicit.fault, explicit.forwarding), path)
        if not self.active or (self.http_paths is not None and path not in self.http_paths):
            return None
        fault = _draw(self._http_random, self._http_rates)
        after = fault is not None and self._http_random.random() < self.http_after_rate
        required = self._required.next("http")
        if isinstance(required, HttpFault):  # the drawn fault's own draws are spent all the same
            fault, after = required, self._required.rng.random() < self.http_after_rate
        if fault is None:
            return None
        after = after and fault not in _REFUSALS
        return self._record_http(HttpDecision(fault, Forwarding.AFTER if after else Forwarding.BEFORE), path)

    def connection_random(self, layer: str, connection: int) -> random.Random:
        """The random stream of one TCP or WebSocket connection (its own, so interleaving does not matter)."""
        return random.Random(f"{self.seed}:{layer}:{connection}")

    def next_tcp(self, rng: random.Random, connection: int) -> TcpDecision | None:
        """The fault for a new TCP connection, if any."""
        low, high = self.tcp_after_bytes
        fault: TcpFault | None
        if self._explicit_tcp:
            fault = self._explicit_tcp.pop(0)
        elif self.active:
            fault = _draw(rng, self._tcp_rates)
            required = self._required.next("tcp")
            fault = required if isinstance(required, TcpFault) else fault
        else:
            fault = None
        if fault is None:
            return None
        self.injected.append(InjectedFault("tcp", fault, f"conn#{connection}"))
        return TcpDecision(fault, rng.randint(low, high))

    def next_ws(self, rng: random.Random, connection: int) -> WsFault | None:
        """The fault for the next server-to-client frame on one WebSocket connection, if any."""
        fault: WsFault | None
        if self._explicit_ws:
            fault = self._explicit_ws.pop(0)
        elif self.active:
            fault = _draw(rng, self._ws_rates)
            required = self._required.next("ws")
            fault = required if isinstance(required, WsFault) else fault
        else:
            fault = None
        if fault is None:
            return None
        self.injected.append(InjectedFault("ws", fault, f"conn#{connection}"))
        return fault

    def _record_http(self, decision: HttpDecision, path: str) -> HttpDecision:
        self.injected.append(InjectedFault("http", decision.fault, path, decision.forwarding))
        return decision


_LAYERS: Mapping[type, str] = {TcpFault: "tcp", HttpFault: "http", WsFault: "ws"}


class _RequiredFaults:
    """The ``must_include`` faults, each pinned to a seeded decision index of its layer."""

    def __init__(self, seed: int, faults: tuple[TcpFault | HttpFault | WsFault, ...], within: int) -> None:
        self.rng = random.Random(f"{seed}:must_include")
        self._at: dict[str, dict[int, TcpFault | HttpFault | WsFault]] = {}
        self._decisions: Counter[str] = Counter()
        for layer in _LAYERS.values():
            pinned = [fault for fault in faults if _LAYERS[type(fault)] == layer]
            if len(pinned) > within:
                raise ValueError(
                    f"{len(pinned)} {layer} faults cannot fit in must_include_within={within} decisions"
                )
            positions = self.rng.sample(range(within), len(pinned))
            self._at[layer] = dict(zip(positions, pinned, strict=True))

    def next(self, layer: str) -> TcpFault | HttpFault | WsFault | None:
        """Count one random decision of ``layer``; the fault pinned to it, if any."""
        index = self._decisions[layer]
        self._decisions[layer] += 1
        return self._at[layer].pop(index, None)


def _draw(rng: random.Random, rates: Mapping[_Fault, float]) -> _Fault | None:
    """One fault with its probability, or None (always consumes exactly one draw)."""
    point = rng.random()
    for fault, rate in rates.items():
        if point < rate:
            return fault
        point -= rate
    return None
