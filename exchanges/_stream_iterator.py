"""StreamIterator: one bounded ``async for`` subscription to an :class:`exchanges.streams.EventStream`.

Its own module so the stream's delivery machinery (handlers, direct delivery, consumers) stays in
``exchanges.streams``; users import it from there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, Self, TypeVar

from exchanges._queue import BoundedQueue, QueueClosed

T = TypeVar("T")


class Unsubscribes(Protocol[T]):
    """What an iterator needs of its stream: to be forgotten when it closes."""

    def discard(self, iterator: StreamIterator[T]) -> None: ...


class StreamIterator(Generic[T]):
    """``async for event in iterator``; also an async context manager that unsubscribes on exit.

    Dropping the last reference also unsubscribes (the stream keeps only a weak reference). When the
    stream ends with an error, ``__anext__`` raises it after the buffered events.
    """

    __slots__ = ("__weakref__", "_buffer", "_predicate", "_stream")

    def __init__(
        self, stream: Unsubscribes[T], buffer: BoundedQueue[T], predicate: Callable[[T], bool] | None
    ) -> None:
        self._stream = stream
        self._buffer = buffer
        self._predicate = predicate

    def offer(self, item: T) -> None:
        predicate = self._predicate
        if predicate is None or predicate(item):
            self._buffer.offer(item)

    def offer_many(self, items: list[T]) -> None:
        """``offer`` for every item in order, handed to the buffer at once."""
        predicate = self._predicate
        if predicate is not None:
            items = [item for item in items if predicate(item)]
            if not items:
                return
        self._buffer.offer_many(items)

    def end(self, error: BaseException | None = None) -> None:
        """Stop after the buffered events (the stream closed), raising ``error`` if given."""
        self._buffer.close(error)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        try:
            return await self._buffer.get()
        except QueueClosed as closed:
            if closed.error is not None:
                raise closed.error from None
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self._buffer.close()
        self._stream.discard(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
