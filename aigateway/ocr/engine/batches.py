"""The OCR pool's waiting room: page tasks grouped in batches, served round-robin.

One batch per request: taking one task from each batch in turn means a 500-page document does
not starve the one-page requests that arrive after it. A task that must run again (its worker
died) goes to the very front.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ("BatchQueue", "Task")

_RETRIES = -1
"""The batch id of retried tasks: always first."""


class Task:
    """One call to run in a worker, and the future its caller awaits."""

    __slots__ = ("args", "attempts", "fn", "future", "started", "timer")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], future: asyncio.Future[Any]):
        self.fn = fn
        self.args = args
        self.future = future
        self.attempts = 0
        """Workers it was handed to."""
        self.started = 0.0
        """``time.monotonic()`` when the current worker got it."""
        self.timer: asyncio.TimerHandle | None = None
        """The pending ``task_timeout`` call while it runs."""

    def stop_timer(self) -> None:
        """Cancel the timeout of the current run, if any."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def fail(self, exc: BaseException) -> None:
        """Settle the task with ``exc`` (no-op when already settled)."""
        self.stop_timer()
        if not self.future.done():
            self.future.set_exception(exc)


class BatchQueue:
    """Waiting tasks, by batch, in round-robin order."""

    def __init__(self) -> None:
        self._batches: OrderedDict[int, deque[Task]] = OrderedDict()
        self._next = 0
        self.waiting = 0
        """Tasks queued and not yet handed to a worker."""

    def __bool__(self) -> bool:
        return bool(self._batches)

    def add(self, tasks: Iterable[Task]) -> int:
        """Queue a batch; returns its id (for :meth:`remove`)."""
        queue = deque(tasks)
        batch = self._next
        self._next += 1
        if queue:
            self._batches[batch] = queue
            self.waiting += len(queue)
        return batch

    def pop(self) -> Task:
        """The next task: the head of the first batch, which then goes to the back.

        Raises:
            IndexError: the queue is empty.
        """
        batch, queue = next(iter(self._batches.items()))
        task = queue.popleft()
        if queue:
            self._batches.move_to_end(batch)
        else:
            del self._batches[batch]
        self.waiting -= 1
        return task

    def retry(self, task: Task) -> None:
        """Queue ``task`` again, ahead of every batch."""
        self._batches.setdefault(_RETRIES, deque()).appendleft(task)
        self._batches.move_to_end(_RETRIES, last=False)
        self.waiting += 1

    def remove(self, batch: int) -> None:
        """Drop what is left of ``batch`` (its request is done or gone)."""
        queue = self._batches.pop(batch, None)
        if queue:
            self.waiting -= len(queue)

    def fail_all(self, exc: BaseException) -> None:
        """Fail and drop every waiting task."""
        for queue in self._batches.values():
            for task in queue:
                task.fail(exc)
        self._batches.clear()
        self.waiting = 0
