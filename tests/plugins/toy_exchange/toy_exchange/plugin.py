"""The toy plugin's hook implementations, as a third-party author would write them."""

from __future__ import annotations

from collections.abc import Sequence

from exchanges.cli import CliCommand
from exchanges.config import Credentials, ExchangeConfig
from exchanges.hookspecs import hookimpl
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import Symbol
from exchanges.registry import ExchangeRegistry, ExchangeSpec
from toy_exchange.settings import ToySettings


def create_public(config: ExchangeConfig, symbols: Sequence[Symbol]) -> PublicExchange:
    from toy_exchange.exchange import ToyExchange

    return ToyExchange(config, symbols)


def create_private(config: ExchangeConfig, credentials: Credentials) -> PrivateExchange:
    from toy_exchange.exchange import ToyPrivateExchange

    return ToyPrivateExchange(config, credentials)


SPEC = ExchangeSpec(
    name="toy",
    title="Toy Exchange",
    default_config=ExchangeConfig(
        name="toy", rest_url="memory://toy", ws_url="memory://toy/ws", settings=ToySettings()
    ),
    create_public=create_public,
    create_private=create_private,
    public_capabilities=("orderbook_stream", "trade_stream", "ticker_stream"),
    private_capabilities=("trading", "balance", "user_stream"),
    credential_env_prefix="TOY",
    environments={"sim": {"environment": "sim", "rest_url": "memory://toy-sim"}},
)


@hookimpl
def exchanges_register_exchanges(registry: ExchangeRegistry) -> None:
    registry.register(SPEC)


def _hello(args: object) -> int:
    print("hello from toy")
    return 0


@hookimpl
def exchanges_cli_commands() -> list[CliCommand]:
    return [CliCommand(name="toy-hello", help="print a greeting from the toy plugin", run=_hello)]
