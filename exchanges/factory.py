"""``FullExchangeFactory``: pick an installed exchange by name and get initialized domains.

::

    factory = FullExchangeFactory()
    public = await factory.create_public_exchange("mexc_spot", [Symbol("BTC", "USDT")])
    public, private = await factory.create_exchange_pair("mexc_spot", environment="sim")

Every object returned is initialized; when initialization fails, whatever was created is closed
before the error propagates, so no session or socket leaks.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from exchanges.config import Credentials, ExchangeConfig, load_exchange_config, read_config_file
from exchanges.errors import ConfigurationError, ExchangeError, ExchangeNotFound, PluginError
from exchanges.interfaces import ExchangeLifecycle, PrivateExchange, PublicExchange
from exchanges.models import Symbol
from exchanges.plugins import ExchangesPluginManager
from exchanges.registry import ExchangeSpec

__all__ = [
    "FullExchangeFactory",
    "SymbolLike",
]

logger = logging.getLogger("exchanges.factory")

E = TypeVar("E", bound=ExchangeLifecycle)

SymbolLike = Symbol | str
"""A Symbol or its text form ``"BTC/USDT"``."""


def _to_symbols(symbols: Iterable[SymbolLike] | None) -> tuple[Symbol, ...]:
    if symbols is None:
        return ()
    if isinstance(symbols, str | Symbol):
        symbols = [symbols]
    result = []
    for item in symbols:
        try:
            result.append(item if isinstance(item, Symbol) else Symbol.parse(item))
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
    return tuple(result)


async def _close_quietly(exchange: ExchangeLifecycle) -> None:
    try:
        await exchange.close()
    except Exception:
        logger.warning("closing %s after a failed start also failed", type(exchange).__name__, exc_info=True)


async def _initialized(exchange: E) -> E:
    try:
        await exchange.initialize()
    except BaseException:
        await _close_quietly(exchange)
        raise
    return exchange


class FullExchangeFactory:
    """Creates exchanges provided by the installed plugins.

    ``config`` replaces the TOML file lookup: a path to a TOML file, or an already-parsed mapping
    of the same shape (``{"mexc_spot": {"request_timeout": 3}}``). ``plugin_manager`` defaults to
    one that loads every installed entry point. ``env`` (default ``os.environ``) is where environment
    variables and credentials are read from.
    """

    def __init__(
        self,
        config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        plugin_manager: ExchangesPluginManager | None = None,
        *,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._env = os.environ if env is None else env
        self._document: Mapping[str, Any] | None
        if config is None:
            self._document = None
        elif isinstance(config, Mapping):
            self._document = config
        else:
            self._document = read_config_file(Path(config))
        self.plugin_manager = plugin_manager if plugin_manager is not None else ExchangesPluginManager()

    # -- discovery -------------------------------------------------------------------------------

    def available_exchanges(self) -> list[str]:
        """Names of every installed exchange, sorted."""
        return self.plugin_manager.registry.names()

    def get_spec(self, exchange_name: str) -> ExchangeSpec:
        """The registered spec; unknown names raise :class:`ExchangeNotFound` listing installed ones."""
        try:
            return self.plugin_manager.registry.get(exchange_name)
        except ExchangeNotFound as exc:
            failures = self.plugin_manager.failures
            if failures:
                exc.message += f" (plugins that failed to load: {', '.join(sorted(failures))})"
            raise

    def get_config(
        self,
        exchange_name: str,
        *,
        environment: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> ExchangeConfig:
        """The effective config: defaults < TOML < environment variables < ``overrides``."""
        spec = self.get_spec(exchange_name)
        return load_exchange_config(
            spec.default_config,
            environment=environment,
            overrides=overrides,
            env=self._env,
            document=self._document,
            environments=spec.environments,
        )

    # -- creation --------------------------------------------------------------------------------

    async def create_public_exchange(
        self,
        exchange_name: str,
        symbols: Iterable[SymbolLike] | None = None,
        *,
        environment: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> PublicExchange:
        """An initialized market-data exchange."""
        spec = self.get_spec(exchange_name)
        config = self.get_config(exchange_name, environment=environment, overrides=overrides)
        wanted = _to_symbols(symbols)
        try:
            exchange = spec.create_public(config, wanted)
        except ExchangeError:
            raise
        except Exception as exc:
            raise PluginError(
                f"exchange {exchange_name!r} could not be created: {type(exc).__name__}: {exc}"
            ) from exc
        return await _initialized(exchange)

    def resolve_credentials(self, exchange_name: str, credentials: Credentials | None = None) -> Credentials:
        """``credentials`` or, when None, the ones in the plugin's environment variables."""
        if credentials is not None:
            return credentials
        return Credentials.from_env(self.get_spec(exchange_name).credential_env_prefix, env=self._env)

    async def create_private_exchange(
        self,
        exchange_name: str,
        credentials: Credentials | None = None,
        *,
        environment: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> PrivateExchange:
        """An initialized trading/account exchange (credentials default to the environment)."""
        spec = self.get_spec(exchange_name)
        if spec.create_private is None:
            raise ConfigurationError(f"exchange {exchange_name!r} has no private (trading) domain")
        config = self.get_config(exchange_name, environment=environment, overrides=overrides)
        resolved = self.resolve_credentials(exchange_name, credentials)
        try:
            exchange = spec.create_private(config, resolved)
        except ExchangeError:
            raise
        except Exception as exc:
            raise PluginError(
                f"exchange {exchange_name!r} could not be created: {type(exc).__name__}"
            ) from exc  # no message: constructor errors might quote the credentials
        return await _initialized(exchange)

    async def create_exchange_pair(
        self,
        exchange_name: str,
        symbols: Iterable[SymbolLike] | None = None,
        credentials: Credentials | None = None,
        *,
        environment: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> tuple[PublicExchange, PrivateExchange]:
        """Both domains, initialized; if the private one fails the public one is closed."""
        spec = self.get_spec(exchange_name)
        if spec.create_private is None:
            raise ConfigurationError(f"exchange {exchange_name!r} has no private (trading) domain")
        resolved = self.resolve_credentials(exchange_name, credentials)  # fail before any connection
        public = await self.create_public_exchange(
            exchange_name, symbols, environment=environment, overrides=overrides
        )
        try:
            private = await self.create_private_exchange(
                exchange_name, resolved, environment=environment, overrides=overrides
            )
        except BaseException:
            await _close_quietly(public)
            raise
        return public, private
