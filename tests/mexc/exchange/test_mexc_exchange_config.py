"""Profiles (real MEXC by default, ``sim``), the plugin's simulator session, metric folding and self-tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.capabilities import SupportsBalance, SupportsTrading
from exchanges.factory import FullExchangeFactory
from exchanges.metrics import MetricsRegistry
from exchanges.models import AssetName, Side, Symbol
from exchanges_mexc.composite.health import check_private_parsing, check_public_parsing
from exchanges_mexc.composite.metrics import SUMMARY_KEYS, spec_metrics
from exchanges_mexc.composite.simulator import DEMO_BALANCES
from exchanges_mexc.plugin import SPEC, exchanges_cli_commands

BTC = Symbol(AssetName("BTC"), AssetName("USDT"))


def test_real_mexc_is_the_default() -> None:
    config = FullExchangeFactory(config={}, env={}).get_config("mexc_spot")
    assert config.environment == "production"
    assert config.rest_url == "https://api.mexc.com"
    assert config.ws_url == "wss://wbs-api.mexc.com/ws"


def test_mexc_settings_are_typed_layered_and_validated() -> None:
    from exchanges.errors import ConfigurationError
    from exchanges_mexc.settings import MexcSettings

    factory = FullExchangeFactory(config={"mexc_spot": {"ws_stream_interval": "10ms"}}, env={})
    config = factory.get_config("mexc_spot", overrides={"ip_weight_limit": 250})
    settings = config.settings_of(MexcSettings)
    assert (settings.ws_stream_interval, settings.ip_weight_limit, settings.ws_max_subscriptions) == (
        "10ms",
        250,
        30,
    )
    env = {"EXCHANGES_MEXC_SPOT_WS_MAX_SUBSCRIPTIONS": "31"}
    with pytest.raises(ConfigurationError, match="ws_max_subscriptions"):
        FullExchangeFactory(config={}, env=env).get_config("mexc_spot")
    with pytest.raises(ConfigurationError, match="ws_stream_interval"):
        FullExchangeFactory(config={}, env={}).get_config("mexc_spot", overrides={"ws_stream_interval": "1s"})
    with pytest.raises(ConfigurationError, match="enable_protobuf"):
        FullExchangeFactory(config={}, env={}).get_config("mexc_spot", overrides={"enable_protobuf": True})


def test_reconcile_timings_are_typed_settings() -> None:
    """The reconcile timings were untyped ``extra`` keys: ``nan`` made the lookup deadline never pass.
    Breaks when ``ReconcilePolicy.from_config`` reads ``extra`` again or the validators go."""
    from exchanges.errors import ConfigurationError
    from exchanges_mexc.rest.placement import ReconcilePolicy

    env = {"EXCHANGES_MEXC_SPOT_RECONCILE_WINDOW": "7.5", "EXCHANGES_MEXC_SPOT_RECV_WINDOW_MS": "2000"}
    config = FullExchangeFactory(config={}, env=env).get_config(
        "mexc_spot", overrides={"reconcile_settle_delay": 0.5}
    )
    policy = ReconcilePolicy.from_config(config)
    assert (policy.window, policy.settle_delay, policy.initial_backoff) == (7.5, 0.5, 0.1)
    auto = ReconcilePolicy.from_config(FullExchangeFactory(config={}, env={}).get_config("mexc_spot"))
    assert auto.window == 5.0 + 1.0 + 1.0 + 15.0  # recvWindow + clock error floor + settle delay + 15 s
    for key in ("reconcile_window", "reconcile_settle_delay", "reconcile_backoff", "rate_limit_window"):
        for bad in ("nan", "inf", "-1"):
            with pytest.raises(ConfigurationError, match=key):
                FullExchangeFactory(config={}, env={}).get_config("mexc_spot", overrides={key: bad})
    old = FullExchangeFactory(config={}, env={}).get_config(
        "mexc_spot", overrides={"extra": {"reconcile_window": 3.0}}
    )
    with pytest.raises(ConfigurationError, match="reconcile_window in 'extra' is no longer read"):
        ReconcilePolicy.from_config(old)


def test_sim_profile_and_its_layers() -> None:
    plain = FullExchangeFactory(config={}, env={}).get_config("mexc_spot", environment="sim")
    assert plain.environment == "sim"
    assert plain.rest_url == "http://127.0.0.1:8800"
    assert plain.ws_url == "ws://127.0.0.1:8800/ws"
    toml = {"mexc_spot": {"environments": {"sim": {"rest_url": "http://127.0.0.1:9100"}}}}
    from_file = FullExchangeFactory(config=toml, env={}).get_config("mexc_spot", environment="sim")
    assert from_file.rest_url == "http://127.0.0.1:9100"
    env = {"EXCHANGES_MEXC_SPOT_WS_URL": "ws://127.0.0.1:9200/ws"}
    from_env = FullExchangeFactory(config=toml, env=env).get_config("mexc_spot", environment="sim")
    assert from_env.ws_url == "ws://127.0.0.1:9200/ws"
    explicit = FullExchangeFactory(config=toml, env=env).get_config(
        "mexc_spot", environment="sim", overrides={"rest_url": "http://127.0.0.1:9300"}
    )
    assert explicit.rest_url == "http://127.0.0.1:9300"


async def test_simulator_session_runs_the_same_user_code() -> None:
    assert SPEC.simulator is not None
    async with SPEC.simulator() as session:
        assert session.credentials is not None
        public, private = await FullExchangeFactory(config={}, env={}).create_exchange_pair(
            "mexc_spot",
            symbols=[BTC],
            credentials=session.credentials,
            environment=session.environment,
            overrides=session.overrides,
        )
        try:
            assert (await public.get_orderbook(BTC)).bids
            assert isinstance(private, SupportsBalance)
            assert isinstance(private, SupportsTrading)
            balances = await private.get_balances()
            assert {asset: str(b.free) for asset, b in balances.items()} == dict(DEMO_BALANCES)
            order = await private.place_limit_order(BTC, Side.BUY, Decimal("0.001"), Decimal("50000"))
            assert order.order_id
        finally:
            await private.close()
            await public.close()


def test_plugin_commands() -> None:
    names = [command.name for command in exchanges_cli_commands()]
    assert names == ["sim", "demo"]


def test_protobuf_self_tests() -> None:
    assert check_public_parsing() is True
    assert check_private_parsing() is True


def test_metrics_of_a_fresh_registry() -> None:
    metrics = spec_metrics(MetricsRegistry(), symbol_cache_hit_rate=0.0)
    assert set(SUMMARY_KEYS) <= set(metrics)
    assert metrics["ws_connections_established"] == 0
    assert metrics["ws_connection_time_avg_ms"] is None
    assert metrics["message_processing_time_avg_ms"] is None
    assert metrics["connection_reuse_rate"] is None
    assert metrics["object_pool_hit_rate"] is None
    assert metrics["rest_latency"] == {}


def test_metrics_fold_component_names() -> None:
    registry = MetricsRegistry()
    registry.counter("ws.mexc_public_1.connects").inc(2)
    registry.counter("ws.mexc_private.connects").inc()
    registry.counter("ws.mexc_public_1.reconnections").inc()
    registry.histogram("ws.mexc_public_1.connect_time").record(0.002)
    registry.histogram("ws.mexc_private.connect_time").record(0.004)
    registry.counter("mexc.ws.frames.protobuf").inc(10)
    registry.counter("mexc.ws.private.frames.protobuf").inc(5)
    registry.counter("mexc.ws.frames.json").inc(3)
    registry.counter("book.BTC/USDT.resyncs").inc(2)
    registry.counter("ws.mexc_public_1.dropped").inc(4)
    registry.counter("mexc.ws.trades.dropped").inc(1)
    registry.counter("rest.connections_created").inc(1)
    registry.counter("rest.connections_reused").inc(3)
    registry.counter("rest.api_errors").inc(2)
    registry.histogram("rest.GET /api/v3/depth.latency").record(0.001)
    metrics = spec_metrics(registry, symbol_cache_hit_rate=99.0)
    assert metrics["ws_connections_established"] == 3
    assert metrics["ws_reconnections"] == 1
    assert 2.9 < metrics["ws_connection_time_avg_ms"] < 3.1
    assert metrics["protobuf_messages_processed"] == 15
    assert metrics["json_messages_processed"] == 3
    assert metrics["orderbook_resyncs"] == 2
    assert metrics["dropped_messages"] == 5
    assert metrics["connection_reuse_rate"] == 75.0
    assert metrics["api_errors"] == 2
    assert metrics["cache_hit_rate"] == 99.0
    assert metrics["rest_latency"]["GET /api/v3/depth"]["count"] == 1
