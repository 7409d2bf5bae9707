"""Stopping tasks keeps the caller's own cancellation apart from the stopped task's (exchanges.tasks)."""

from __future__ import annotations

import asyncio

import pytest

from exchanges.tasks import cancel_and_wait, finish_then_reraise


async def stubborn(started: asyncio.Event, release: asyncio.Event, ended: list[str]) -> None:
    """A task that needs time to stop: it ignores cancellation until ``release`` (like a socket close)."""
    started.set()
    while not release.is_set():
        try:
            await release.wait()
        except asyncio.CancelledError:
            continue
    ended.append("ended")


async def test_the_stopped_tasks_cancellation_is_swallowed() -> None:
    async def sleeper() -> None:
        await asyncio.sleep(3600)

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    await cancel_and_wait(task)  # returns normally: the task was asked to stop
    assert task.cancelled()


async def test_a_caller_cancelled_while_waiting_gets_its_cancellation_after_the_task_ended() -> None:
    started, release, ended = asyncio.Event(), asyncio.Event(), []
    task = asyncio.create_task(stubborn(started, release, ended))
    await started.wait()
    stopper = asyncio.create_task(cancel_and_wait(task))
    await asyncio.sleep(0.01)
    stopper.cancel()  # the caller's own cancellation, while the task is still stopping
    await asyncio.sleep(0.01)
    assert not stopper.done()  # it waits for the task to really end
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await stopper
    assert ended == ["ended"]


async def test_cleanup_runs_to_its_end_then_the_callers_cancellation_is_raised() -> None:
    steps: list[str] = []
    release = asyncio.Event()

    async def cleanup() -> None:
        steps.append("first")
        await release.wait()
        steps.append("second")

    closer = asyncio.create_task(finish_then_reraise(cleanup(), name="test-cleanup"))
    await asyncio.sleep(0.01)
    closer.cancel()
    await asyncio.sleep(0.01)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await closer
    assert steps == ["first", "second"]


async def test_a_cleanup_error_reaches_the_caller() -> None:
    async def cleanup() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await finish_then_reraise(cleanup(), name="test-cleanup")
