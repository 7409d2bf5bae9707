"""The MEXC plugin's entry point: registers the ``mexc_spot`` exchange.

Registration must work even before (or without) the heavy modules: the exchange classes are
imported lazily, when an exchange is actually created.
"""

from __future__ import annotations

from collections.abc import Sequence

from exchanges.cli import CliCommand
from exchanges.config import Credentials, ExchangeConfig
from exchanges.hookspecs import hookimpl
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import Symbol
from exchanges.registry import ExchangeRegistry, ExchangeSpec

NAME = "mexc_spot"
REST_URL = "https://api.mexc.com"
WS_URL = "wss://wbs-api.mexc.com/ws"


def create_public(config: ExchangeConfig, symbols: Sequence[Symbol]) -> PublicExchange:
    """Build the MEXC market-data composite (imported on first use)."""
    # Not present in every checkout stage; the ignore keeps mypy quiet both before and after.
    from exchanges_mexc.exchange import MexcCompositePublicExchange  # type: ignore[import-not-found, unused-ignore]

    exchange: PublicExchange = MexcCompositePublicExchange(config, symbols)
    return exchange


def create_private(config: ExchangeConfig, credentials: Credentials) -> PrivateExchange:
    """Build the MEXC trading/account composite (imported on first use)."""
    # Not present in every checkout stage; the ignore keeps mypy quiet both before and after.
    from exchanges_mexc.exchange import MexcCompositePrivateExchange  # type: ignore[import-not-found, unused-ignore]

    exchange: PrivateExchange = MexcCompositePrivateExchange(config, credentials)
    return exchange


SPEC = ExchangeSpec(
    name=NAME,
    title="MEXC Spot",
    default_config=ExchangeConfig(name=NAME, rest_url=REST_URL, ws_url=WS_URL),
    create_public=create_public,
    create_private=create_private,
    public_capabilities=("orderbook_stream", "trade_stream", "ticker_stream"),
    private_capabilities=("trading", "balance", "withdrawal", "user_stream"),
    credential_env_prefix="MEXC",
    environments={"sim": {"environment": "sim"}},
)


@hookimpl
def exchanges_register_exchanges(registry: ExchangeRegistry) -> None:
    registry.register(SPEC)


@hookimpl
def exchanges_cli_commands() -> list[CliCommand]:
    return []
