"""``BlockingExchange`` and the descriptors that give it the async API's methods, typed, blocking.

A blocking method is declared once per name from the async declaration it mirrors::

    get_ticker = BlockingMethod(PublicExchange.get_ticker)

mypy reads the signature (parameters, defaults, result) from the async method through a
``ParamSpec``, so the blocking twin cannot drift from it: ``get_ticker(symbol) -> Ticker``.
At run time the descriptor looks the method up on the wrapped exchange (``AttributeError`` when the
exchange lacks that capability, exactly as before) and runs it on the factory's loop.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Self, TypeVar, cast, overload

from exchanges._sync.loop import BlockingIterator, LoopThread
from exchanges.errors import ExchangeClosedError
from exchanges.interfaces import ExchangeLifecycle

P = ParamSpec("P")
T = TypeVar("T")
E = TypeVar("E", bound=ExchangeLifecycle)


class BlockingExchange(Generic[E]):
    """An exchange whose methods block. ``.exchange`` is the async object (use it only on the loop).

    The subclasses :class:`~exchanges.sync.BlockingPublicExchange` and
    :class:`~exchanges.sync.BlockingPrivateExchange` declare the stated API (the domain and every
    capability) with its types. A plugin's own extra methods still work by name at run time, untyped;
    :meth:`call` and :meth:`iterate` call them typed: ``public.call(public.exchange.stream_status)``.
    """

    def __init__(self, exchange: E, runner: LoopThread, timeout: float | None) -> None:
        self.exchange = exchange
        self._runner = runner
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"Blocking({self.exchange!r})"

    def __dir__(self) -> Iterable[str]:
        return sorted(set(dir(self.exchange)) | set(super().__dir__()))

    def _check_open(self) -> None:
        if not self._runner.running:
            raise ExchangeClosedError("the sync factory is closed: create a new one")

    def call(self, method: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a coroutine method of :attr:`exchange` on the loop and wait for its result."""
        self._check_open()

        async def on_loop() -> T:
            return await method(*args, **kwargs)

        return self._runner.run(on_loop(), self._timeout)

    def call_on_loop(self, method: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a plain method of :attr:`exchange` on the loop (so it never races it) and return its result."""
        self._check_open()

        async def on_loop() -> T:
            return method(*args, **kwargs)

        return self._runner.run(on_loop(), self._timeout)

    def iterate(
        self, method: Callable[P, AsyncIterator[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> BlockingIterator[T]:
        """A blocking iterator over the async iterator ``method(...)`` returns (created on the loop)."""
        return BlockingIterator(self._runner, self.call_on_loop(method, *args, **kwargs), self._timeout)

    if not TYPE_CHECKING:
        # A method outside the stated API (a plugin's own): blocking by name, untyped. Hidden from
        # type checkers on purpose, so a misspelt name is an error there (use call()/iterate()).

        def __getattr__(self, name: str) -> Any:
            value = getattr(self.exchange, name)
            if not callable(value):
                return value
            return self._dynamic(value)

    def _dynamic(self, method: Callable[..., Any]) -> Callable[..., Any]:
        runner, timeout = self._runner, self._timeout

        def call(*args: Any, **kwargs: Any) -> Any:
            self._check_open()

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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Mirror:
    """What the three descriptors share: the mirrored method's name and docstring."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self.name: str = method.__name__
        self.__doc__ = method.__doc__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        if name != self.name:
            raise TypeError(f"{owner.__name__}.{name} mirrors {self.name}: the names must match")

    def _target(self, wrapper: BlockingExchange[Any]) -> Any:
        return getattr(wrapper.exchange, self.name)

    def _named(self, function: Callable[P, T]) -> Callable[P, T]:
        function.__name__ = self.name
        function.__doc__ = self.__doc__
        return function


class BlockingMethod(_Mirror, Generic[P, T]):
    """A coroutine method of the async API, as a method that blocks until its result."""

    def __init__(self, method: Callable[Concatenate[Any, P], Awaitable[T]]) -> None:
        super().__init__(method)

    @overload
    def __get__(self, wrapper: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, wrapper: BlockingExchange[Any], owner: type[Any]) -> Callable[P, T]: ...
    def __get__(self, wrapper: BlockingExchange[Any] | None, owner: type[Any]) -> Self | Callable[P, T]:
        if wrapper is None:
            return self
        method = cast(Callable[P, Awaitable[T]], self._target(wrapper))

        def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
            return wrapper.call(method, *args, **kwargs)

        return self._named(blocking)


class LoopMethod(_Mirror, Generic[P, T]):
    """A plain method of the async API (``get_local_orderbook``), run on the loop so it never races it."""

    def __init__(self, method: Callable[Concatenate[Any, P], T]) -> None:
        super().__init__(method)

    @overload
    def __get__(self, wrapper: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, wrapper: BlockingExchange[Any], owner: type[Any]) -> Callable[P, T]: ...
    def __get__(self, wrapper: BlockingExchange[Any] | None, owner: type[Any]) -> Self | Callable[P, T]:
        if wrapper is None:
            return self
        method = cast(Callable[P, T], self._target(wrapper))

        def on_loop(*args: P.args, **kwargs: P.kwargs) -> T:
            return wrapper.call_on_loop(method, *args, **kwargs)

        return self._named(on_loop)


class IteratorMethod(_Mirror, Generic[P, T]):
    """An ``iter_*`` method of the async API, returning a :class:`BlockingIterator` of the same items."""

    def __init__(self, method: Callable[Concatenate[Any, P], AsyncIterator[T]]) -> None:
        super().__init__(method)

    @overload
    def __get__(self, wrapper: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(
        self, wrapper: BlockingExchange[Any], owner: type[Any]
    ) -> Callable[P, BlockingIterator[T]]: ...
    def __get__(
        self, wrapper: BlockingExchange[Any] | None, owner: type[Any]
    ) -> Self | Callable[P, BlockingIterator[T]]:
        if wrapper is None:
            return self
        method = cast(Callable[P, AsyncIterator[T]], self._target(wrapper))

        def iterate(*args: P.args, **kwargs: P.kwargs) -> BlockingIterator[T]:
            return wrapper.iterate(method, *args, **kwargs)

        return self._named(iterate)
