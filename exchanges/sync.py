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

Calls are bounded by ``call_timeout`` seconds (None: unbounded, for long iterations it applies per
item); a call that times out is cancelled on the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from exchanges.config import Credentials
from exchanges.errors import ExchangeClosedError
from exchanges.factory import FullExchangeFactory as AsyncFullExchangeFactory
from exchanges.factory import SymbolLike
from exchanges.interfaces import ExchangeLifecycle

__all__ = ["BlockingExchange", "BlockingIterator", "FullExchangeFactory"]

T = TypeVar("T")
E = TypeVar("E", bound=ExchangeLifecycle)

DEFAULT_CALL_TIMEOUT = 120.0
"""Seconds one blocking call may take before it is cancelled (per item for iterators)."""


class _LoopThread:
    """One event loop on one daemon thread; ``run`` submits a coroutine and waits for its result."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        # Whatever still runs (a handler, a call abandoned by its caller) is cancelled and awaited, so
        # nothing is destroyed while pending.
        leftover = asyncio.all_tasks(self.loop)
        for task in leftover:
            task.cancel()
        if leftover:
            self.loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    def run(self, coro: Awaitable[T], timeout: float | None) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a blocking exchange method was called from its own loop (inside a handler)")

        async def wrapper() -> T:
            return await coro

        future = asyncio.run_coroutine_threadsafe(wrapper(), self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"blocking call did not finish within {timeout} s") from None
        except BaseException:
            # Ctrl-C (or any exception raised in this thread while waiting): the call must not go on
            # running on the loop. An abandoned ``next()`` would otherwise take the iterator's next
            # item for nobody (lost to the caller) and be destroyed pending at exit.
            future.cancel()
            raise

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)


class BlockingIterator(Generic[T]):
    """A blocking view of an async iterator living on the factory's loop; ``close()`` ends it."""

    def __init__(self, runner: _LoopThread, source: AsyncIterator[T], timeout: float | None) -> None:
        self._runner = runner
        self._source = source
        self._timeout = timeout

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        async def step() -> T:
            return await anext(self._source)

        try:
            return self._runner.run(step(), self._timeout)
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        close = getattr(self._source, "aclose", None)
        if close is not None and self._runner.running:
            self._runner.run(close(), self._timeout)

    def __enter__(self) -> BlockingIterator[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class BlockingExchange(Generic[E]):
    """An exchange whose methods block. ``.exchange`` is the async object (use it only on the loop)."""

    def __init__(self, exchange: E, runner: _LoopThread, timeout: float | None) -> None:
        self.exchange = exchange
        self._runner = runner
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"Blocking({self.exchange!r})"

    def __dir__(self) -> Iterable[str]:
        return sorted(set(dir(self.exchange)) | {"exchange", "close"})

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.exchange, name)
        if not callable(value):
            return value
        return self._blocking(value)

    def _blocking(self, method: Callable[..., Any]) -> Callable[..., Any]:
        runner, timeout = self._runner, self._timeout

        def call(*args: Any, **kwargs: Any) -> Any:
            if not runner.running:
                raise ExchangeClosedError("the sync factory is closed: create a new one")

            async def on_loop() -> Any:
                result = method(*args, **kwargs)
                return await result if inspect.isawaitable(result) else result

            result = runner.run(on_loop(), timeout)
            if hasattr(result, "__anext__"):
                return BlockingIterator(runner, result, timeout)
            return result

        call.__name__ = getattr(method, "__name__", "call")
        call.__doc__ = getattr(method, "__doc__", None)
        return call

    def close(self) -> None:
        """Close the exchange (idempotent; the factory's close does it for you)."""
        if self._runner.running:
            self._runner.run(self.exchange.close(), self._timeout)

    def __enter__(self) -> BlockingExchange[E]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class FullExchangeFactory:
    """The blocking twin of :class:`exchanges.factory.FullExchangeFactory` (same arguments)."""

    def __init__(
        self,
        config: Any = None,
        plugin_manager: Any = None,
        *,
        env: Mapping[str, str] | None = None,
        call_timeout: float | None = DEFAULT_CALL_TIMEOUT,
    ) -> None:
        self.factory = AsyncFullExchangeFactory(config, plugin_manager, env=env)
        self.call_timeout = call_timeout
        self._runner = _LoopThread("exchanges-sync-loop")
        self._created: list[BlockingExchange[Any]] = []
        self._lock = threading.Lock()
        self._closed = False
        # Runs on close(), when the factory is garbage collected, or at interpreter exit.
        self._finalizer = weakref.finalize(self, _shutdown, self._runner, self._created)

    def available_exchanges(self) -> list[str]:
        return self.factory.available_exchanges()

    def _wrap(self, exchange: E) -> BlockingExchange[E]:
        wrapped = BlockingExchange(exchange, self._runner, self.call_timeout)
        with self._lock:
            self._created.append(wrapped)
        return wrapped

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
    ) -> BlockingExchange[Any]:
        """An initialized market-data exchange with blocking methods."""
        create = self.factory.create_public_exchange
        return self._wrap(
            self._run(create(exchange_name, symbols, environment=environment, overrides=overrides))
        )

    def create_private_exchange(
        self,
        exchange_name: str,
        credentials: Credentials | None = None,
        *,
        environment: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> BlockingExchange[Any]:
        """An initialized trading/account exchange with blocking methods."""
        create = self.factory.create_private_exchange
        return self._wrap(
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
    ) -> tuple[BlockingExchange[Any], BlockingExchange[Any]]:
        create = self.factory.create_exchange_pair
        public, private = self._run(
            create(exchange_name, symbols, credentials, environment=environment, overrides=overrides)
        )
        return self._wrap(public), self._wrap(private)

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


def _shutdown(runner: _LoopThread, created: list[BlockingExchange[Any]]) -> None:
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
