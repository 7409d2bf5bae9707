"""The MEXC plugin's entry point: registers the ``mexc_spot`` exchange and the ``sim``/``demo`` commands.

Registration must work even before (or without) the heavy modules: the exchange classes, the
simulator and the commands' code are imported lazily, when they are actually used.

Profiles: the default is real MEXC (``https://api.mexc.com``, ``wss://wbs-api.mexc.com/ws``);
``environment="sim"`` targets a local simulator, by default the one ``exchanges sim`` starts on port
8800. Point it elsewhere with ``overrides={"rest_url": sim.rest_url, "ws_url": sim.ws_url}``, a
``[mexc_spot.environments.sim]`` table in ``exchanges.toml`` or ``EXCHANGES_MEXC_SPOT_REST_URL``/``_WS_URL``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from exchanges.cli import CliCommand
from exchanges.config import Credentials, ExchangeConfig
from exchanges.hookspecs import hookimpl
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import Symbol
from exchanges.registry import ExchangeRegistry, ExchangeSpec, SimulatorSession
from exchanges_mexc.constants import EXCHANGE_NAME, REST_BASE_URL, SIM_PORT, WS_BASE_URL
from exchanges_mexc.settings import MexcSettings

SIM_PROFILE = {
    "environment": "sim",
    "rest_url": f"http://127.0.0.1:{SIM_PORT}",
    "ws_url": f"ws://127.0.0.1:{SIM_PORT}/ws",
}

REPLAY_PROFILE = {
    "environment": "replay",
    "rest_url": "http://127.0.0.1:9",
    "ws_url": "ws://127.0.0.1:9/ws",
}
"""``environment="replay"`` with ``overrides={"replay_path": DIR}``: market data from a recording.
Nothing is connected; the URLs point at the loopback discard port so that a REST call made during a
replay fails at once instead of reaching MEXC."""


def create_public(config: ExchangeConfig, symbols: Sequence[Symbol]) -> PublicExchange:
    """Build the MEXC market-data composite (imported on first use)."""
    from exchanges_mexc.exchange import MexcCompositePublicExchange

    exchange: PublicExchange = MexcCompositePublicExchange(config, symbols)
    return exchange


def create_private(config: ExchangeConfig, credentials: Credentials) -> PrivateExchange:
    """Build the MEXC trading/account composite (imported on first use)."""
    from exchanges_mexc.exchange import MexcCompositePrivateExchange

    exchange: PrivateExchange = MexcCompositePrivateExchange(config, credentials)
    return exchange


def simulator() -> AbstractAsyncContextManager[SimulatorSession]:
    """An in-process MEXC simulator with a moving market and a funded demo account (for ``--sim``)."""
    from exchanges_mexc.composite.simulator import mexc_simulator

    return mexc_simulator()


SPEC = ExchangeSpec(
    name=EXCHANGE_NAME,
    title="MEXC Spot",
    default_config=ExchangeConfig(
        name=EXCHANGE_NAME, rest_url=REST_BASE_URL, ws_url=WS_BASE_URL, settings=MexcSettings()
    ),
    create_public=create_public,
    create_private=create_private,
    public_capabilities=(
        "orderbook_stream",
        "trade_stream",
        "ticker_stream",
        "all_tickers",
        "book_ticker_stream",
        "kline_stream",
        "kline_history",
    ),
    private_capabilities=(
        "trading",
        "balance",
        "withdrawal",
        "user_stream",
        "batch_orders",
        "test_order",
        "trading_fees",
        "paged_history",
        "deposits",
        "safe_withdrawal",
        "transfer",
    ),
    credential_env_prefix="MEXC",
    environments={"sim": SIM_PROFILE, "replay": REPLAY_PROFILE},
    simulator=simulator,
)


@hookimpl
def exchanges_register_exchanges(registry: ExchangeRegistry) -> None:
    registry.register(SPEC)


@hookimpl
def exchanges_cli_commands() -> list[CliCommand]:
    """``exchanges sim`` (run the simulator) and ``exchanges demo`` (the guided tour)."""
    from exchanges_mexc.cli import commands

    return commands()
