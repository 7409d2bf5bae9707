"""FullExchangeFactory end to end with the toy plugin registered pluggy-style."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from toy_exchange import ToyExchange, ToyPrivateExchange
from toy_exchange import plugin as toy_plugin
from toy_exchange.settings import ToySettings

from exchanges import FullExchangeFactory
from exchanges.capabilities import (
    SupportsBalance,
    SupportsOrderBookStream,
    SupportsTrading,
    SupportsUserStream,
    SupportsWithdrawal,
    capabilities_of,
)
from exchanges.config import Credentials, ExchangeConfig
from exchanges.errors import ConfigurationError, PluginError
from exchanges.hookspecs import hookimpl
from exchanges.models import Symbol
from exchanges.plugins import ExchangesPluginManager
from exchanges.registry import ExchangeRegistry, ExchangeSpec

SECRET = "toy-secret-DO-NOT-PRINT-987654321"
CREDS_ENV = {"TOY_API_KEY": "toykey-ABCDEFGH-1234", "TOY_SECRET_KEY": SECRET}


def factory(config: Any = None, env: dict[str, str] | None = None) -> FullExchangeFactory:
    pm = ExchangesPluginManager(load_entry_points=False, plugins=[toy_plugin])
    return FullExchangeFactory(config if config is not None else {}, pm, env=env if env is not None else {})


async def test_create_public_by_name() -> None:
    exchange = await factory().create_public_exchange("toy", ["BTC/USDT", Symbol("ETH", "USDT")])
    assert isinstance(exchange, ToyExchange)
    assert exchange.initialized
    assert exchange.symbols == (Symbol("BTC", "USDT"), Symbol("ETH", "USDT"))
    assert exchange.config.rest_url == "memory://toy"
    await exchange.close()


async def test_environment_overrides_and_config_mapping(tmp_path: Path) -> None:
    exchange = await factory({"toy": {"request_timeout": 2}}).create_public_exchange(
        "toy", environment="sim", overrides={"max_retries": 7}
    )
    assert isinstance(exchange, ToyExchange)
    assert exchange.config.rest_url == "memory://toy-sim"
    assert exchange.config.environment == "sim"
    assert exchange.config.request_timeout == 2.0
    assert exchange.config.max_retries == 7
    path = tmp_path / "cfg.toml"
    path.write_text("[toy]\nmax_retries = 4\n")
    assert factory(path).get_config("toy").max_retries == 4
    assert factory(str(path), env={"EXCHANGES_TOY_MAX_RETRIES": "5"}).get_config("toy").max_retries == 5


async def test_private_and_pair_with_env_credentials(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    public, private = await factory(env=CREDS_ENV).create_exchange_pair("toy", ["BTC/USDT"])
    assert isinstance(public, ToyExchange)
    assert isinstance(private, ToyPrivateExchange)
    assert private.credentials.secret_key == SECRET
    for holder in (private.credentials, private, public, private.config):
        assert SECRET not in repr(holder)
        assert SECRET not in str(holder)
    assert SECRET not in caplog.text
    await public.close()
    await private.close()


async def test_private_without_credentials_names_env_vars() -> None:
    with pytest.raises(ConfigurationError, match="TOY_API_KEY and TOY_SECRET_KEY"):
        await factory().create_private_exchange("toy")


async def test_capabilities_match_spec() -> None:
    f = factory(env=CREDS_ENV)
    spec = f.get_spec("toy")
    public = await f.create_public_exchange("toy")
    private = await f.create_private_exchange("toy")
    assert set(capabilities_of(public)) == set(spec.public_capabilities)
    assert set(capabilities_of(private)) == set(spec.private_capabilities)
    assert isinstance(public, SupportsOrderBookStream)
    assert not isinstance(public, SupportsTrading)
    assert isinstance(private, SupportsTrading)
    assert isinstance(private, SupportsBalance)
    assert isinstance(private, SupportsUserStream)
    assert not isinstance(private, SupportsWithdrawal)
    await public.close()
    await private.close()


# -- failure paths ---------------------------------------------------------------------------------


class Recording:
    """A plugin whose exchanges fail on initialize and record every instance created."""

    def __init__(self) -> None:
        self.created: list[ToyExchange] = []

    @hookimpl
    def exchanges_register_exchanges(self, registry: ExchangeRegistry) -> None:
        def create_public(config: ExchangeConfig, symbols: Sequence[Symbol]) -> ToyExchange:
            exchange = ToyExchange(config, symbols)
            self.created.append(exchange)
            return exchange

        def create_private(config: ExchangeConfig, credentials: Credentials) -> ToyPrivateExchange:
            raise RuntimeError(f"constructor failed with {credentials.secret_key}")

        registry.register(
            ExchangeSpec(
                name="recording",
                title="Recording",
                default_config=ExchangeConfig(
                    name="recording", rest_url="m://", ws_url="m://", settings=ToySettings()
                ),
                create_public=create_public,
                create_private=create_private,
                credential_env_prefix="TOY",
            )
        )


async def test_failed_initialize_closes_and_reraises() -> None:
    plugin = Recording()
    f = FullExchangeFactory({}, ExchangesPluginManager(load_entry_points=False, plugins=[plugin]), env={})
    with pytest.raises(RuntimeError, match="on purpose"):
        await f.create_public_exchange("recording", overrides={"fail_initialize": True})
    assert plugin.created[0].closed == 1


async def test_pair_closes_public_when_private_fails() -> None:
    plugin = Recording()
    f = FullExchangeFactory(
        {}, ExchangesPluginManager(load_entry_points=False, plugins=[plugin]), env=CREDS_ENV
    )
    with pytest.raises(PluginError, match="could not be created") as info:
        await f.create_exchange_pair("recording")
    assert SECRET not in str(info.value)
    assert plugin.created[0].closed == 1


async def test_bad_symbol_text_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="cannot parse symbol"):
        await factory().create_public_exchange("toy", ["BTCUSDT"])
