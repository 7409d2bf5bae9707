"""Shared plumbing of the generic exchange commands (``watch``, ``book``, ``ticker``, ``balances``...).

* Target options: ``EXCHANGE`` (and usually ``SYMBOL``), ``--env`` (a config profile such as ``sim``),
  ``--set KEY=VALUE`` (any :class:`~exchanges.config.ExchangeConfig` field, e.g.
  ``--set rest_url=http://127.0.0.1:8800``) and ``--sim`` (start the plugin's own simulator in-process,
  when the plugin ships one, and use its funded demo account).
* :func:`open_target`: the exchanges are created through :class:`~exchanges.factory.FullExchangeFactory`
  exactly as user code would, and always closed.
* :func:`run_guarded`: every failure becomes one clear line on stderr and exit code 1, never a
  traceback: unknown symbol, missing credentials (naming the environment variables), unreachable
  server (naming the URL), rejected credentials, exchange errors.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import attrs

from exchanges.cli._output import environment_label
from exchanges.config import Credentials
from exchanges.errors import (
    AuthenticationError,
    ExchangeConnectionError,
    ExchangeError,
    OrderNotFound,
    SymbolNotSupported,
)
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import Symbol
from exchanges.plugins import ExchangesPluginManager

logger = logging.getLogger("exchanges.cli._common")

EXIT_ERROR = 1


class CliError(ExchangeError):
    """A user-facing failure: its message is printed as is, the exit code is 1."""


def parse_symbol(text: str) -> Symbol:
    """``BTC/USDT`` (also ``BTC-USDT``, ``btc_usdt``) or a CliError explaining the format."""
    try:
        return Symbol.parse(text)
    except ValueError:
        raise CliError(f"invalid symbol {text!r}: write it as BASE/QUOTE, for example BTC/USDT") from None


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def add_target_options(parser: argparse.ArgumentParser, *, symbol: bool = True) -> None:
    """``EXCHANGE [SYMBOL]`` plus ``--env``, ``--set`` and ``--sim``."""
    parser.add_argument("exchange", metavar="EXCHANGE", help="installed exchange name (see: exchanges list)")
    if symbol:
        parser.add_argument("symbol", metavar="SYMBOL", help="trading pair as BASE/QUOTE, e.g. BTC/USDT")
    parser.add_argument(
        "--env",
        "--environment",
        dest="environment",
        default=None,
        help="config profile, e.g. 'sim' for a simulator started with `exchanges sim`",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=_setting,
        default=[],
        metavar="KEY=VALUE",
        help="override one config field, e.g. --set rest_url=http://127.0.0.1:8800 (repeatable)",
    )
    parser.add_argument(
        "--sim",
        action="store_true",
        help="run against the exchange's own simulator, started in-process with a demo account",
    )


@attrs.define
class Target:
    """What a command works on: the factory, the resolved names, and the exchanges it opened."""

    factory: FullExchangeFactory
    exchange: str
    environment: str | None
    overrides: dict[str, Any]
    credentials: Credentials | None = None
    description: str = ""
    opened: list[PublicExchange | PrivateExchange] = attrs.field(factory=list)

    @property
    def environment_name(self) -> str:
        """The config's environment (``production``, ``sim``...) the exchanges are created with."""
        try:
            return self.factory.get_config(
                self.exchange, environment=self.environment, overrides=self.overrides
            ).environment
        except ExchangeError:
            return self.environment or "production"

    @property
    def label(self) -> str:
        """``SIMULATOR`` / ``PRODUCTION`` (shown on every screen and order command)."""
        return environment_label(self.environment_name)

    @property
    def banner(self) -> str:
        """``mexc_spot · SIMULATOR`` for the first line of a screen."""
        return f"{self.exchange} · {self.label}"

    @property
    def rest_url(self) -> str:
        """The REST URL the exchange talks to (for 'cannot reach ...' messages)."""
        try:
            return self.factory.get_config(
                self.exchange, environment=self.environment, overrides=self.overrides
            ).rest_url
        except ExchangeError:
            return "?"

    async def public(self, symbols: Sequence[Symbol] = ()) -> PublicExchange:
        exchange = await self.factory.create_public_exchange(
            self.exchange, symbols, environment=self.environment, overrides=self.overrides
        )
        self.opened.append(exchange)
        return exchange

    async def private(self) -> PrivateExchange:
        exchange = await self.factory.create_private_exchange(
            self.exchange, self.credentials, environment=self.environment, overrides=self.overrides
        )
        self.opened.append(exchange)
        return exchange


def _factory(args: argparse.Namespace) -> FullExchangeFactory:
    manager = getattr(args, "plugin_manager", None)
    return FullExchangeFactory(
        plugin_manager=manager if isinstance(manager, ExchangesPluginManager) else None
    )


@contextlib.asynccontextmanager
async def open_target(args: argparse.Namespace, *, private: bool = False) -> AsyncIterator[Target]:
    """Resolve the exchange, start its simulator for ``--sim``, and close whatever was opened."""
    factory = _factory(args)
    spec = factory.get_spec(args.exchange)
    overrides = dict(args.settings)
    target = Target(factory, spec.name, args.environment, overrides)
    async with contextlib.AsyncExitStack() as stack:
        if args.sim:
            if spec.simulator is None:
                raise CliError(f"exchange {spec.name!r} ships no simulator; drop --sim or use --env")
            session = await stack.enter_async_context(spec.simulator())
            target.environment = args.environment or session.environment
            target.overrides = {**session.overrides, **overrides}
            target.credentials = session.credentials
            target.description = session.description
        if private and target.credentials is None:
            target.credentials = factory.resolve_credentials(spec.name)  # ConfigurationError names the vars
        try:
            yield target
        finally:
            for exchange in reversed(target.opened):
                try:
                    await exchange.close()
                except Exception:
                    logger.debug("closing %s failed", type(exchange).__name__, exc_info=True)


def explain(error: BaseException, args: argparse.Namespace, target_url: str | None) -> str:
    """One line for a failure, naming what to fix."""
    exchange = getattr(args, "exchange", "?")
    symbol = getattr(args, "symbol", None)
    if isinstance(error, CliError):
        return str(error)
    if isinstance(error, SymbolNotSupported):
        what = f"unknown symbol {symbol} on {exchange}" if symbol else f"unknown symbol on {exchange}"
        return what if "unknown symbol" in error.message else f"{what}: {error.message}"
    if isinstance(error, ExchangeConnectionError):
        where = f" at {target_url}" if target_url and target_url != "?" else ""
        return f"cannot reach {exchange}{where}: {error.message}"
    if isinstance(error, AuthenticationError):
        return f"{exchange} rejected the credentials: {error}"
    if isinstance(error, OrderNotFound):
        return f"order not found on {exchange}: {error}"
    return str(error)


async def run_guarded(
    args: argparse.Namespace, body: Callable[[Target], Awaitable[int]], *, private: bool = False
) -> int:
    """Open the target, run ``body``, and turn every expected failure into one stderr line + exit 1."""
    target: Target | None = None
    try:
        async with open_target(args, private=private) as target:
            return await body(target)
    except ExchangeError as error:
        logger.debug("command failed", exc_info=True)
        url = target.rest_url if target is not None else None  # resolved only when a message needs it
        print(f"exchanges: error: {explain(error, args, url)}", file=sys.stderr)
        return EXIT_ERROR
