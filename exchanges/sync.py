"""Blocking use for scripts and notebooks: the same factory and exchange methods, no ``asyncio``.

::

    from exchanges.sync import FullExchangeFactory

    with FullExchangeFactory() as factory:
        public = factory.create_public_exchange("mexc_spot", ["BTC/USDT"])
        print(public.get_ticker(Symbol("BTC", "USDT")))
        public.start_trades_stream([Symbol("BTC", "USDT")])
        for trade in public.iter_trades():       # a blocking iterator
            print(trade)
            break

Each factory owns one background thread running one event loop; every exchange it creates lives on
that loop, and each method call is sent to it and waited for. Coroutine methods block until done,
``iter_*`` methods return blocking iterators, plain methods (``get_local_orderbook``) run on the loop
too so they never race it. Stream handlers you pass run on the background thread. ``close()`` (or
leaving the ``with`` block, or interpreter exit) closes every exchange, then stops the loop. Like ccxt's
sync/async split, the methods and their arguments are the async ones.

The exchanges are :class:`BlockingPublicExchange` and :class:`BlockingPrivateExchange`: every method of
the domain and of each capability (:mod:`exchanges.capabilities`) with the async signature and the
result type, checked by ``mypy --strict`` (``get_ticker(symbol) -> Ticker``,
``iter_trades() -> BlockingIterator[Trade]``). A plugin's own extra methods work by name too, untyped;
``blocking.call(blocking.exchange.method, ...)`` and ``blocking.iterate(...)`` call them typed.

Calls are bounded by ``call_timeout`` seconds (None: unbounded, for long iterations it applies per
item); a call that times out is cancelled on the loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, TypeVar

from exchanges._sync.domains import BlockingPrivateExchange, BlockingPublicExchange
from exchanges._sync.loop import BlockingIterator, LoopThread
from exchanges._sync.wrappers import BlockingExchange
from exchanges.config import Credentials
from exchanges.errors import ExchangeClosedError
from exchanges.factory import FullExchangeFactory as AsyncFullExchangeFactory
from exchanges.factory import SymbolLike
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.plugins import ExchangesPluginManager

__all__ = [
    "BlockingExchange",
    "BlockingIterator",
    "BlockingPrivateExchange",
    "BlockingPublicExchange",
    "FullExchangeFactory",
]

T = TypeVar("T")
B = TypeVar("B", bound=BlockingExchange[Any])

DEFAULT_CALL_TIMEOUT = 120.0
"""Seconds one blocking call may take before it is cancelled (per item for iterators)."""


class FullExchangeFactory:
    """The blocking twin of :class:`exchanges.factory.FullExchangeFactory` (same arguments)."""

    def __init__(
        self,
        config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        plugin_manager: ExchangesPluginManager | None = None,
        *,
        env: Mapping[str, str] | None = None,
        call_timeout: float | None = DEFAULT_CALL_TIMEOUT,
    ) -> None:
        self.factory = AsyncFullExchangeFactory(config, plugin_manager, env=env)
        self.call_timeout = call_timeout
        self._runner = LoopThread("exchanges-sync-loop")
        self._created: list[BlockingExchange[Any]] = []
        self._lock = threading.Lock()
        self._closed = False
        # Runs on close(), when the factory is garbage collected, or at interpreter exit.
        self._finalizer = weakref.finalize(self, _shutdown, self._runner, self._created)

    def available_exchanges(self) -> list[str]:
        return self.factory.available_exchanges()

    def _keep(self, wrapped: B) -> B:
        with self._lock:
            self._created.append(wrapped)
        return wrapped

    def _public(self, exchange: PublicExchange) -> BlockingPublicExchange:
        return self._keep(BlockingPublicExchange(exchange, self._runner, self.call_timeout))

    def _private(self, exchange: PrivateExchange) -> BlockingPrivateExchange:
        return self._keep(BlockingPrivateExchange(exchange, self._runner, self.call_timeout))

    def _run(self, coro: Awaitable[T]) -> T:
        if self._closed:
            raise ExchangeClosedError("the sync factory is closed: create a new one")
        return self._runner.run(coro, self.call_timeout)

    def create_public_exchange(
        self,
        exchange_name: str,
        symbols: Iterable[SymbolLike] | None = None,
        *,
        environment: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> BlockingPublicExchange:
        """An initialized market-data exchange with blocking methods."""
        create = self.factory.create_public_exchange
        return self._public(
            self._run(create(exchange_name, symbols, environment=environment, overrides=overrides))
        )

    def create_private_exchange(
        self,
        exchange_name: str,
        credentials: Credentials | None = None,
        *,
        environment: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> BlockingPrivateExchange:
        """An initialized trading/account exchange with blocking methods."""
        create = self.factory.create_private_exchange
        return self._private(
            self._run(create(exchange_name, credentials, environment=environment, overrides=overrides))
        )

    def create_exchange_pair(
        self,
        exchange_name: str,
        symbols: Iterable[SymbolLike] | None = None,
        credentials: Credentials | None = None,
        *,
        environment: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> tuple[BlockingPublicExchange, BlockingPrivateExchange]:
        """An initialized public and private exchange sharing one config, both blocking."""
        create = self.factory.create_exchange_pair
        public, private = self._run(
            create(exchange_name, symbols, credentials, environment=environment, overrides=overrides)
        )
        return self._public(public), self._private(private)

    def close(self) -> None:
        """Close every exchange this factory made, then stop its loop. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._finalizer()

    def __enter__(self) -> FullExchangeFactory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _shutdown(runner: LoopThread, created: list[BlockingExchange[Any]]) -> None:
    """Close every exchange on the loop, then stop it (also run at interpreter exit)."""
    if runner.running:
        exchanges = [w.exchange for w in created]

        async def close_all() -> None:
            await asyncio.gather(*(e.close() for e in exchanges), return_exceptions=True)

        try:
            runner.run(close_all(), 60)
        finally:
            runner.stop()
    created.clear()
