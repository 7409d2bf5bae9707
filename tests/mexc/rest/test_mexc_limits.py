"""Endpoint weights, pools from ExchangeConfig, kline intervals and depth limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.errors import ExchangeAPIError
from exchanges.models import KlineInterval
from exchanges_mexc import constants as c
from exchanges_mexc.parsing.enums import rest_interval
from exchanges_mexc.plugin import SPEC
from exchanges_mexc.rest.limits import EndpointCosts, build_limiter, pool_limits

CONFIG = SPEC.default_config.with_overrides(rest_url="http://x", ws_url="ws://x")


def test_shared_pools_from_config() -> None:
    cfg = CONFIG.with_overrides(
        ip_weight_limit=100, uid_weight_limit=50, rate_limit_window=2.0, burst_allowance=3
    )
    pools = pool_limits(cfg)
    assert pools["ip"].limit == 100
    assert pools["uid"].limit == 50
    assert pools["ip"].window == 2.0
    assert pools["ip"].burst == 3
    assert pools["rps:GET /api/v3/account"].limit == 2
    costs = EndpointCosts(cfg)
    assert costs.cost(c.DEPTH).weights == {"ip": 1}
    assert costs.cost(c.EXCHANGE_INFO).weights == {"ip": 10}
    assert costs.cost(c.TICKER_24HR, all_symbols=True).weights == {"ip": 40}
    assert costs.cost(c.ORDER_NEW).weights == {"ip": 1, "uid": 1}
    assert costs.cost(c.ACCOUNT).weights == {"ip": 10, "uid": 10, "rps:GET /api/v3/account": 1}
    assert costs.cost(c.BATCH_ORDERS).weights["rps:POST /api/v3/batchOrders"] == 1
    build_limiter(cfg)  # every cost resolves against the limiter's pools
    limiter = build_limiter(cfg)
    for endpoint in c.ALL_ENDPOINTS:
        assert limiter.try_acquire(costs.cost(endpoint), now=0.0) >= 0.0


def test_per_endpoint_pools() -> None:
    cfg = CONFIG.with_overrides(shared_weight_pools=False)
    pools = pool_limits(cfg)
    assert "ip:GET /api/v3/depth" in pools
    assert "uid:POST /api/v3/order" in pools
    assert "ip" not in pools
    costs = EndpointCosts(cfg)
    assert costs.cost(c.ORDER_NEW).weights == {"ip:POST /api/v3/order": 1, "uid:POST /api/v3/order": 1}
    limiter = build_limiter(cfg)
    for endpoint in c.ALL_ENDPOINTS:
        limiter.try_acquire(costs.cost(endpoint), now=0.0)


def test_kline_intervals() -> None:
    assert rest_interval(KlineInterval.HOUR_1) == "60m"
    assert rest_interval(KlineInterval.WEEK_1) == "1W"
    with pytest.raises(ExchangeAPIError, match="HOUR_8") as raised:
        rest_interval(KlineInterval.HOUR_8)
    assert "WebSocket kline stream" in str(raised.value)
    assert raised.value.exchange == c.EXCHANGE_NAME


@given(st.integers(1, 100_000))
def test_depth_limit_is_smallest_valid_at_least_requested(requested: int) -> None:
    chosen = c.pick_depth_limit(requested)
    assert chosen in c.DEPTH_LIMITS
    if requested <= c.MAX_DEPTH_LIMIT:
        assert chosen >= requested
        assert all(limit < requested for limit in c.DEPTH_LIMITS if limit < chosen)
    else:
        assert chosen == c.MAX_DEPTH_LIMIT
