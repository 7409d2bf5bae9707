"""Per-endpoint request weights (DOCS-EN, API.md §3-§6) and sliding-window pools (API.md §8).

Unsigned endpoints spend from the caller's IP pool, signed ones from the account's UID pool; by default
every endpoint of a pool shares one budget (DOCS-CN: shared 500 / 10 s), which is the stricter reading.
A request that does not fit is refused with HTTP 429 and ``Retry-After`` (whole seconds until it fits).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

# (method, path) -> weight; path without the /api/v3 prefix. Unlisted endpoints weigh 1.
WEIGHTS: dict[tuple[str, str], int] = {
    ("GET", "/exchangeInfo"): 10,
    ("GET", "/trades"): 5,
    ("GET", "/order"): 2,
    ("GET", "/openOrders"): 3,
    ("GET", "/allOrders"): 10,
    ("GET", "/account"): 10,
    ("GET", "/myTrades"): 10,
    ("GET", "/tradeFee"): 20,
    ("GET", "/capital/config/getall"): 10,
    ("GET", "/capital/deposit/address"): 10,
    ("GET", "/capital/withdraw/address"): 10,
}


def weight_of(method: str, path: str, has_symbol: bool) -> int:
    """Weight of one request; ticker/24hr and ticker/price weigh more without ``symbol``."""
    sub = path.removeprefix("/api/v3")
    if sub == "/ticker/24hr" and not has_symbol:
        return 40
    if sub == "/ticker/price" and not has_symbol:
        return 2
    return WEIGHTS.get((method, sub), 1)


class SlidingWindow:
    """Weights spent in the last ``window`` seconds, for one pool key."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._spent: deque[tuple[float, int]] = deque()
        self._total = 0

    def _expire(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - self.window:
            self._total -= self._spent.popleft()[1]

    def try_spend(self, weight: int) -> float:
        """Spend ``weight`` and return 0, or return seconds until it would fit (nothing spent)."""
        now = self._clock()
        self._expire(now)
        if self._total + weight <= self.limit:
            self._spent.append((now, weight))
            self._total += weight
            return 0.0
        excess = self._total + weight - self.limit
        freed = 0
        for stamp, spent in self._spent:
            freed += spent
            if freed >= excess:
                return max(stamp + self.window - now, 0.001)
        return self.window


class RateLimits:
    """All pools: ``ip:<addr>`` and ``uid:<uid>`` keys, created on first use."""

    def __init__(self, ip_limit: int = 500, uid_limit: int = 500, window: float = 10.0) -> None:
        self.ip_limit = ip_limit
        self.uid_limit = uid_limit
        self.window = window
        self._pools: dict[str, SlidingWindow] = {}

    def pool(self, key: str) -> SlidingWindow:
        """The pool for ``key`` (``"ip:..."`` or ``"uid:..."``)."""
        pool = self._pools.get(key)
        if pool is None:
            limit = self.uid_limit if key.startswith("uid:") else self.ip_limit
            pool = self._pools[key] = SlidingWindow(limit, self.window)
        return pool

    def check(self, key: str, weight: int) -> int | None:
        """None if allowed (weight spent), else the Retry-After seconds to send with a 429."""
        wait = self.pool(key).try_spend(weight)
        return None if wait == 0 else max(1, math.ceil(wait))
