"""Line queues: where batch lines wait for a runner.

A :class:`LineRef` names one input line by file, byte offset and length (never its bytes: an
OCR line may carry megabytes of base64), so a queue entry is small and a runner reads the line
from the files store itself. :class:`MemoryQueue` serves one process (the memory backend);
:class:`~aigateway.batches.redis_store.RedisStreamQueue` is a Redis Stream consumer group
shared by every replica. Entries are delivered at least once: a runner acknowledges an entry
only after its result is written, and results are written once per line, so a redelivered
line never appears twice in the output.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

__all__ = ("Delivery", "LineQueue", "LineRef", "MemoryQueue")


class LineRef(msgspec.Struct, frozen=True, array_like=True):
    """One input line: job, owning tenant, file, byte range and line number."""

    job: str
    tenant: str
    file: str
    offset: int
    length: int
    index: int


@dataclass(frozen=True)
class Delivery:
    """A line handed to this runner; ``token`` acknowledges it (the stream entry id)."""

    ref: LineRef
    token: str | None = None
    claimed: bool = False
    """Taken over from another runner that went silent (``XAUTOCLAIM``)."""


class LineQueue(abc.ABC):
    """At-least-once delivery of :class:`LineRef` to the runners."""

    @abc.abstractmethod
    async def push(self, refs: Sequence[LineRef]) -> None:
        """Queue ``refs`` in order."""

    @abc.abstractmethod
    async def take(self, n: int, wait: float) -> list[Delivery]:
        """Up to ``n`` lines, waiting at most ``wait`` seconds for the first one."""

    @abc.abstractmethod
    async def ack(self, delivery: Delivery) -> None:
        """The line's result is stored: never deliver it again."""

    async def touch(self, deliveries: Sequence[Delivery]) -> None:  # noqa: B027 - optional
        """Still working on these: keep other runners from claiming them."""

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release connections."""


class MemoryQueue(LineQueue):
    """An in-process FIFO (one server process; jobs are re-queued from disk on restart)."""

    def __init__(self) -> None:
        self._q: asyncio.Queue[LineRef] = asyncio.Queue()

    async def push(self, refs: Sequence[LineRef]) -> None:
        for ref in refs:
            self._q.put_nowait(ref)

    async def take(self, n: int, wait: float) -> list[Delivery]:
        try:
            first = await asyncio.wait_for(self._q.get(), wait)
        except TimeoutError:
            return []
        out = [Delivery(first)]
        while len(out) < n and not self._q.empty():
            out.append(Delivery(self._q.get_nowait()))
        return out

    async def ack(self, delivery: Delivery) -> None:
        return None

    def __len__(self) -> int:
        return self._q.qsize()
