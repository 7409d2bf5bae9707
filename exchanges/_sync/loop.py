"""The background event loop a sync factory owns, and blocking views of async iterators on it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class LoopThread:
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

    def __init__(self, runner: LoopThread, source: AsyncIterator[T], timeout: float | None) -> None:
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
