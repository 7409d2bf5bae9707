"""Direct delivery (exchanges.streams): an idle sync handler is called by the publisher itself, and
every stream guarantee still holds around it: order, swaps that hand over, closes that drain,
counted errors, the overflow policy once the handler is slow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

import pytest

from exchanges.metrics import MetricsRegistry
from exchanges.streams import EventStream


@pytest.fixture(autouse=True)
def patient_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """No frame counts as slow unless a test says so (a loaded host must not change the path taken)."""
    monkeypatch.setattr("exchanges.streams.DIRECT_BUDGET", 60.0)


def stream_of(metrics: MetricsRegistry, maxsize: int = 0, policy: str = "drop_oldest") -> EventStream[int]:
    return EventStream("n", metrics, prefix="t", maxsize=maxsize, policy=policy)


async def test_an_idle_sync_handler_is_called_by_the_publisher() -> None:
    metrics = MetricsRegistry()
    stream = stream_of(metrics)
    seen: list[int] = []
    stream.set_handler(seen.append)
    stream.publish_many([1, 2, 3])
    stream.publish(4)
    assert seen == [1, 2, 3, 4]  # no await in between: delivered directly
    assert metrics.value("t.n.published") == 4
    await stream.close()


async def test_a_swap_inside_the_handler_hands_the_rest_of_the_frame_to_the_new_handler() -> None:
    metrics = MetricsRegistry()
    stream = stream_of(metrics)
    old_seen: list[int] = []
    new_seen: list[int] = []
    running: list[str] = []

    def new(n: int) -> None:
        assert running == []  # never both handlers at once
        new_seen.append(n)

    def old(n: int) -> None:
        running.append("old")
        old_seen.append(n)
        if n == 2:
            stream.set_handler(new)
        running.pop()

    stream.set_handler(old)
    stream.publish_many([1, 2, 3, 4])
    stream.publish(5)  # published after the swap, behind the handed-over rest
    await stream.drain(5.0)
    assert old_seen == [1, 2]
    assert new_seen == [3, 4, 5]
    stream.publish(6)
    assert new_seen == [3, 4, 5, 6]  # the new handler is idle again: direct
    assert metrics.value("t.n.dropped") == 0
    await stream.close()


async def test_removing_the_handler_inside_it_lets_it_finish_the_frame() -> None:
    stream = stream_of(MetricsRegistry())
    seen: list[int] = []

    def handler(n: int) -> None:
        seen.append(n)
        if n == 1:
            stream.set_handler(None)

    stream.set_handler(handler)
    stream.publish_many([1, 2, 3])  # published while it was installed: all delivered
    stream.publish(4)  # after the removal: nobody takes it
    await stream.close()
    assert seen == [1, 2, 3]


async def test_close_started_during_direct_delivery_delivers_the_frame_then_ends_iterators() -> None:
    metrics = MetricsRegistry()
    stream = stream_of(metrics)
    seen: list[int] = []
    iterator = stream.iterate()
    closing: list[asyncio.Task[None]] = []

    def handler(n: int) -> None:
        seen.append(n)
        if n == 2:
            closing.append(asyncio.get_running_loop().create_task(stream.close()))

    stream.set_handler(handler)
    stream.publish_many([1, 2, 3])
    await closing[0]
    stream.publish(4)  # after the close: dropped silently, never delivered
    assert seen == [1, 2, 3]
    assert [n async for n in iterator] == [1, 2, 3]
    assert stream.closed


async def test_a_raising_handler_is_counted_and_the_publisher_continues() -> None:
    metrics = MetricsRegistry()
    stream = stream_of(metrics)
    seen: list[int] = []

    def handler(n: int) -> None:
        if n % 2:
            raise RuntimeError(f"bad {n}")
        seen.append(n)

    stream.set_handler(handler)
    stream.publish_many([1, 2, 3, 4])  # must not raise into the publisher (the frame router)
    stream.publish(6)
    assert seen == [2, 4, 6]
    assert metrics.value("t.n.handler_errors") == 2
    await stream.close()


async def test_a_handler_raising_cancelled_error_does_not_reach_the_publisher() -> None:
    metrics = MetricsRegistry()
    stream = stream_of(metrics)
    seen: list[int] = []

    def handler(n: int) -> None:
        if n == 1:
            raise asyncio.CancelledError
        seen.append(n)

    stream.set_handler(handler)
    stream.publish_many([1, 2])
    assert seen == [2]
    assert metrics.value("t.n.handler_errors") == 1
    await stream.close()


async def test_events_published_from_inside_the_handler_come_after_the_rest_of_the_frame() -> None:
    stream = stream_of(MetricsRegistry())
    seen: list[int] = []

    def handler(n: int) -> None:
        seen.append(n)
        if n == 1:
            stream.publish(10)  # re-entrant: buffered behind 2 and 3
        if n == 2:
            stream.publish_many([20, 21])

    stream.set_handler(handler)
    stream.publish_many([1, 2, 3])
    await stream.drain(5.0)
    assert seen == [1, 2, 3, 10, 20, 21]
    await stream.close()


async def test_an_awaitable_returned_by_a_sync_handler_is_awaited_before_the_next_event() -> None:
    stream = stream_of(MetricsRegistry())
    seen: list[str] = []
    release = asyncio.Event()

    async def finish(n: int) -> None:
        await release.wait()
        seen.append(f"done {n}")

    def handler(n: int) -> Awaitable[None] | None:
        seen.append(f"start {n}")
        return finish(n) if n == 1 else None

    stream.set_handler(handler)  # type: ignore[arg-type]
    stream.publish_many([1, 2])
    stream.publish(3)
    await asyncio.sleep(0.01)
    assert seen == ["start 1"]  # 2 and 3 wait for 1's awaitable
    release.set()
    await stream.drain(5.0)
    assert seen == ["start 1", "done 1", "start 2", "start 3"]
    await stream.close()


@pytest.mark.parametrize(("policy", "kept"), [("drop_oldest", [7, 8, 9]), ("drop_newest", [4, 5, 6])])
async def test_a_slow_handler_goes_back_to_its_bounded_buffer_and_its_overflow_policy(
    policy: str, kept: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one slow direct frame the next frames are buffered (bounded, policy applies, drops
    counted) until the handler's consumer task has caught up; then delivery is direct again."""
    monkeypatch.setattr("exchanges.streams.DIRECT_BUDGET", 0.0)  # every direct frame counts as slow
    metrics = MetricsRegistry()
    stream = stream_of(metrics, maxsize=3, policy=policy)
    seen: list[int] = []

    def handler(n: int) -> None:
        time.sleep(0.001)
        seen.append(n)

    stream.set_handler(handler)
    stream.publish_many([1, 2, 3])  # direct, found slow
    for n in range(4, 10):
        stream.publish(n)  # buffered: 3 kept by the policy
    assert seen == [1, 2, 3]
    assert metrics.value("t.n.dropped") == 3
    await stream.drain(5.0)
    assert seen == [1, 2, 3, *kept]
    await asyncio.sleep(0)  # the consumer found the buffer empty: idle again
    stream.publish(10)
    assert seen[-1] == 10  # direct again
    await stream.close()


async def test_an_async_handler_is_never_called_directly() -> None:
    stream = stream_of(MetricsRegistry())
    seen: list[int] = []

    async def handler(n: int) -> None:
        seen.append(n)

    stream.set_handler(handler)
    stream.publish_many([1, 2])
    assert seen == []
    await stream.drain(5.0)
    assert seen == [1, 2]
    await stream.close()
