"""exchanges.streams: lossless handler swaps and closes, honest drop counts, cancellation, errors."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.metrics import MetricsRegistry
from exchanges.streams import BoundedQueue, EventStream, QueueClosed


def money_stream(metrics: MetricsRegistry) -> EventStream[int]:
    return EventStream("fills", metrics, prefix="t", maxsize=0)


async def test_five_fills_around_a_handler_swap_all_arrive_in_order() -> None:
    metrics = MetricsRegistry()
    stream = money_stream(metrics)
    old_seen: list[int] = []
    new_seen: list[int] = []
    release = asyncio.Event()

    async def slow_old(fill: int) -> None:
        await release.wait()  # busy with its first event while the swap happens
        old_seen.append(fill)

    stream.set_handler(slow_old)
    stream.publish(1)
    stream.publish(2)
    await asyncio.sleep(0)  # the old handler is inside event 1
    stream.set_handler(new_seen.append)
    stream.publish(3)
    stream.publish_many([4, 5])
    await asyncio.sleep(0.01)
    assert new_seen == []  # never both handlers at once: the new one waits for the old event
    release.set()
    await stream.drain(2.0)
    assert old_seen == [1]
    assert new_seen == [2, 3, 4, 5]
    assert metrics.value("t.fills.dropped") == 0
    await stream.close()


async def test_a_swap_while_idle_and_many_swaps_in_a_burst_lose_nothing() -> None:
    metrics = MetricsRegistry()
    stream = money_stream(metrics)
    seen: list[tuple[int, int]] = []

    def handler_for(n: int) -> object:
        async def handle(fill: int) -> None:
            await asyncio.sleep(0)
            seen.append((n, fill))

        return handle

    for generation in range(50):
        stream.set_handler(handler_for(generation))  # type: ignore[arg-type]
        stream.publish_many([generation * 10 + i for i in range(10)])
        if generation % 7 == 0:
            await asyncio.sleep(0)
    await stream.drain(5.0)
    assert [fill for _, fill in seen] == list(range(500))  # every event once, in publish order
    assert metrics.value("t.fills.dropped") == 0
    await stream.close()


async def test_removing_the_handler_lets_it_drain_what_was_published_to_it() -> None:
    stream = money_stream(MetricsRegistry())
    seen: list[int] = []

    async def handler(fill: int) -> None:
        await asyncio.sleep(0)
        seen.append(fill)

    stream.set_handler(handler)
    stream.publish_many([1, 2, 3])
    stream.set_handler(None)
    stream.publish(4)  # nobody listens any more
    await asyncio.sleep(0.05)
    assert seen == [1, 2, 3]
    await stream.close()


async def test_close_drains_the_handler_then_ends_iterators() -> None:
    metrics = MetricsRegistry()
    stream = money_stream(metrics)
    seen: list[int] = []

    async def handler(fill: int) -> None:
        await asyncio.sleep(0)
        seen.append(fill)

    stream.set_handler(handler)
    iterator = stream.iterate()
    stream.publish_many([1, 2, 3, 4, 5])
    await stream.close()
    assert seen == [1, 2, 3, 4, 5]
    assert [fill async for fill in iterator] == [1, 2, 3, 4, 5]
    assert metrics.value("t.fills.dropped") == 0


async def test_an_undrained_close_counts_what_it_could_not_deliver() -> None:
    metrics = MetricsRegistry()
    stream = money_stream(metrics)
    stuck = asyncio.Event()

    async def handler(fill: int) -> None:
        await stuck.wait()

    stream.set_handler(handler)
    stream.publish_many([1, 2, 3])
    await asyncio.sleep(0)
    await stream.close(drain_timeout=0.05)
    assert metrics.value("t.fills.dropped") == 2  # 1 was being handled; 2 and 3 never were


async def test_close_does_not_swallow_the_callers_cancellation() -> None:
    stream = money_stream(MetricsRegistry())
    stuck = asyncio.Event()

    async def handler(fill: int) -> None:
        await stuck.wait()

    stream.set_handler(handler)
    stream.publish(1)
    await asyncio.sleep(0)
    closing = asyncio.create_task(stream.close(drain_timeout=30))
    await asyncio.sleep(0.01)
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert closing.cancelled()


async def test_close_with_an_error_makes_iterators_raise_it_after_their_events() -> None:
    stream: EventStream[int] = EventStream("trades", MetricsRegistry(), prefix="t", maxsize=10)
    iterator = stream.iterate()
    stream.publish_many([1, 2])
    error = ConnectionError("gave up after 5 reconnect attempts")
    await stream.close(error=error)
    got = [await iterator.__anext__(), await iterator.__anext__()]
    assert got == [1, 2]
    with pytest.raises(ConnectionError, match="gave up"):
        await iterator.__anext__()


async def test_bounded_queue_close_wakes_blocked_producers_and_the_consumer() -> None:
    dropped = MetricsRegistry().counter("d")
    queue: BoundedQueue[int] = BoundedQueue(1, "block", dropped)
    await queue.put(1)
    producer = asyncio.create_task(queue.put(2))
    await asyncio.sleep(0)
    queue.close(RuntimeError("end"))
    await asyncio.wait_for(producer, 1)  # woken; the closed queue refuses the item
    assert queue.get_nowait() == 1
    with pytest.raises(QueueClosed) as info:
        await queue.get()
    assert isinstance(info.value.error, RuntimeError)
    assert dropped.value == 0


@given(
    maxsize=st.integers(0, 6),
    policy=st.sampled_from(["drop_oldest", "drop_newest"]),
    steps=st.lists(st.one_of(st.just("get"), st.integers(1, 5)), max_size=60),
)
def test_bounded_queue_keeps_order_bounds_and_counts_every_drop(
    maxsize: int, policy: str, steps: list[object]
) -> None:
    """For any sequence of offers (a batch of n items) and gets: items come out in offer order,
    the queue never holds more than maxsize (0: unbounded, nothing dropped), and
    offered == delivered + queued + dropped."""
    dropped = MetricsRegistry().counter("d")
    queue: BoundedQueue[int] = BoundedQueue(maxsize, policy, dropped)
    offered = 0
    delivered: list[int] = []
    for step in steps:
        if step == "get":
            if not queue.empty():
                delivered.append(queue.get_nowait())
        else:
            assert isinstance(step, int)
            batch = list(range(offered, offered + step))
            offered += step
            if step == 1:
                queue.offer(batch[0])
            else:
                queue.offer_many(batch)
        if maxsize:
            assert len(queue) <= maxsize
    remaining = list(queue.items)
    assert delivered + remaining == sorted(delivered + remaining)  # FIFO, no duplicates
    assert offered == len(delivered) + len(remaining) + dropped.value
    if maxsize == 0:
        assert dropped.value == 0
    queue.close()
    assert not queue.offer(offered)  # closed: refused, not counted as a drop
    assert offered == len(delivered) + len(remaining) + dropped.value
