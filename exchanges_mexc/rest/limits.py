"""Rate-limit pools and per-endpoint costs for MEXC REST, built from ExchangeConfig.

Pools (API.md §8, see :mod:`exchanges_mexc.constants` for the reasoning):

* ``shared_weight_pools=True`` (default, DOCS-CN reading): one ``ip`` and one ``uid`` pool,
  ``ip_weight_limit``/``uid_weight_limit`` weight per ``rate_limit_window`` seconds, plus
  ``burst_allowance``.
* ``shared_weight_pools=False`` (DOCS-EN reading): one pool per endpoint and bucket, named
  ``"ip:GET /api/v3/depth"``, ``"uid:POST /api/v3/order"``...
* Always: ``rps:<endpoint>`` pools for the documented "2 times/s" caps (``/account``, ``/batchOrders``).

Public endpoints draw from the IP pool; signed ones from the UID **and** the IP pool.
"""

from __future__ import annotations

from exchanges.config import ExchangeConfig
from exchanges.ratelimit import EndpointCost, PoolLimit, RateLimiter
from exchanges_mexc.constants import ALL_ENDPOINTS, IP_POOL, UID_POOL, Endpoint
from exchanges_mexc.settings import mexc_settings


def _ip_pool(endpoint: Endpoint, shared: bool) -> str:
    return IP_POOL if shared else f"{IP_POOL}:{endpoint.key}"


def _uid_pool(endpoint: Endpoint, shared: bool) -> str:
    return UID_POOL if shared else f"{UID_POOL}:{endpoint.key}"


def _rps_pool(endpoint: Endpoint) -> str:
    return f"rps:{endpoint.key}"


def pool_limits(config: ExchangeConfig) -> dict[str, PoolLimit]:
    """Every pool the MEXC endpoints may draw from, sized from ``config``."""
    settings = mexc_settings(config)
    window = settings.rate_limit_window
    burst = settings.burst_allowance
    ip = PoolLimit(max(settings.ip_weight_limit, 1), window, burst)
    uid = PoolLimit(max(settings.uid_weight_limit, 1), window, burst)
    shared = settings.shared_weight_pools
    pools: dict[str, PoolLimit] = {}
    for endpoint in ALL_ENDPOINTS:
        pools[_ip_pool(endpoint, shared)] = ip
        if endpoint.signed:
            pools[_uid_pool(endpoint, shared)] = uid
        if endpoint.per_second:
            pools[_rps_pool(endpoint)] = PoolLimit(endpoint.per_second, 1.0)
    return pools


def build_limiter(config: ExchangeConfig) -> RateLimiter:
    """A RateLimiter holding every MEXC pool; share one between the public and private clients."""
    return RateLimiter(pool_limits(config))


class EndpointCosts:
    """Caches one :class:`EndpointCost` per endpoint (and per all-symbols variant)."""

    def __init__(self, config: ExchangeConfig) -> None:
        self._shared = mexc_settings(config).shared_weight_pools
        self._cache: dict[tuple[Endpoint, bool], EndpointCost] = {}
        # Hot path: id(endpoint) -> (endpoint, cost) for the usual all_symbols=False call. Endpoints
        # are module constants; looking them up by id skips hashing the attrs instance (a Python-level
        # hash of all its fields) on every request. The endpoint is kept to guard against id reuse.
        self._by_id: dict[int, tuple[Endpoint, EndpointCost]] = {}

    def cost(self, endpoint: Endpoint, *, all_symbols: bool = False) -> EndpointCost:
        """The cost of one call; ``all_symbols`` uses ``weight_all`` (tickers without ``symbol``)."""
        if not all_symbols:
            hit = self._by_id.get(id(endpoint))
            if hit is not None and hit[0] is endpoint:
                return hit[1]
        key = (endpoint, all_symbols)
        found = self._cache.get(key)
        if found is None:
            weight = (
                endpoint.weight_all if all_symbols and endpoint.weight_all is not None else endpoint.weight
            )
            weights = {_ip_pool(endpoint, self._shared): weight}
            if endpoint.signed:
                weights[_uid_pool(endpoint, self._shared)] = weight
            if endpoint.per_second:
                weights[_rps_pool(endpoint)] = 1
            found = self._cache[key] = EndpointCost(weights)
        if not all_symbols:
            self._by_id[id(endpoint)] = (endpoint, found)
        return found
