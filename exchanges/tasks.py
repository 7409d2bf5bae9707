"""Stopping background tasks without losing the caller's own cancellation.

``task.cancel(); with suppress(CancelledError): await task`` has a trap: when the *caller* is
cancelled while it waits, the ``CancelledError`` it receives is indistinguishable from the task's
own, gets suppressed, and the caller carries on as if nobody had asked it to stop (a ``close()``
inside a cancelled shutdown then never ends the shutdown). The helpers here wait with
:func:`asyncio.wait`, which raises only for the caller, so the two cancellations stay apart:

* :func:`cancel_and_wait` stops one task and waits for its end; the task's own cancellation or
  error is swallowed (it was asked to stop), the caller's cancellation is re-raised once the task
  has really ended (no task is left running behind the caller's back).
* :func:`finish_then_reraise` runs a cleanup coroutine to its end even if the caller is cancelled
  meanwhile (a ``close()`` must release its sockets), then re-raises the caller's cancellation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["cancel_and_wait", "finish_then_reraise"]

logger = logging.getLogger("exchanges.tasks")


async def _wait_to_end(task: asyncio.Future[Any]) -> bool:
    """Wait until ``task`` is done, through cancellations of the caller; True if the caller was cancelled."""
    caller_cancelled = False
    while not task.done():
        try:
            await asyncio.wait((task,))
        except asyncio.CancelledError:  # asyncio.wait raises only for the caller, never for ``task``
            caller_cancelled = True
    return caller_cancelled


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (unless it is the caller itself) and wait until it has ended.

    The task's own ``CancelledError`` and any exception it ended with are swallowed (logged at DEBUG):
    the caller asked it to stop. If the caller is cancelled while waiting, the wait still runs to
    the task's end, then ``CancelledError`` is re-raised for the caller.
    """
    if task is None or task is asyncio.current_task():
        return
    task.cancel()
    caller_cancelled = await _wait_to_end(task)
    if not task.cancelled() and task.exception() is not None:
        logger.debug("task %s ended with %r while being stopped", task.get_name(), task.exception())
    if caller_cancelled:
        raise asyncio.CancelledError


async def finish_then_reraise(cleanup: Coroutine[object, object, None], *, name: str) -> None:
    """Run ``cleanup`` to its end even if the caller is cancelled meanwhile; then re-raise that.

    ``cleanup`` runs in its own task (named ``name``), so a cancellation of the caller cannot cut
    it half-way. Its own exception, if any, is raised to the caller (after the caller's
    cancellation, which wins).
    """
    task = asyncio.get_running_loop().create_task(cleanup, name=name)
    if await _wait_to_end(task):
        if not task.cancelled() and task.exception() is not None:  # retrieved: no "never retrieved" noise
            logger.warning("%s failed while its caller was being cancelled: %r", name, task.exception())
        raise asyncio.CancelledError
    task.result()
