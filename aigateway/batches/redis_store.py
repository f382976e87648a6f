"""Batch state in Redis for several replicas: jobs, once-only results, and a Stream of lines.

Keys (``{p}`` is ``[state] prefix``; every key carries the hash tag ``{p:batch}``, so on a
Redis Cluster they share one slot and the scripts below stay single-slot)::

    {p:batch}:job:{id}        the job record (JSON; changed by compare-and-set in Lua)
    {p:batch}:jobs:{tenant}   sorted set of the tenant's job ids by creation time
    {p:batch}:active          set of job ids not yet terminal
    {p:batch}:res:{id}        hash: line number -> "1"/"0" + output line (HSETNX: first wins)
    {p:batch}:cnt:{id}        hash: succeeded, failed (incremented with the HSETNX, in Lua)
    {p:batch}:fin:{id}        finalization lock: a lease (SET NX PX, renewed with PEXPIRE)
    {p:batch}:try:{id}        hash: line number -> times a runner started it
    {p:batch}:lines           the Stream of line refs, consumer group {p}-runners

A runner reads with ``XREADGROUP`` and acknowledges (``XACK`` + ``XDEL``) only after the
line's result is stored; entries left pending by a replica that died are taken over with
``XAUTOCLAIM`` once idle for ``[batches] claim_idle`` seconds, while a live runner keeps its
in-flight entries fresh with ``XCLAIM … JUSTID``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import msgspec

from .jobs import JobStore
from .protocol import TERMINAL, Counts, Job
from .queue import Delivery, LineQueue, LineRef

__all__ = ("RedisJobStore", "RedisStreamQueue", "redis_client")

_RECORD = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  return 1
end
return 0
"""

_CAS = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] == '1' then
  redis.call('SREM', KEYS[2], ARGV[4])
  if tonumber(ARGV[5]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[5]) end
end
return 1
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


def redis_client(url: str | list[str], timeout: float) -> tuple[Any, Any]:
    """A client for ``[state] url`` (single, Sentinel or Cluster) with its own pool, since
    the runner's blocking stream reads hold a connection; and what to close with it."""
    from ..tenancy.state.redis import connect
    from ..tenancy.state.url import parse_state_url

    return connect(parse_state_url(url), timeout)


class RedisJobStore(JobStore):
    """Jobs, results and counts in Redis (see the module docstring for the keys)."""

    def __init__(self, redis: Any, prefix: str, keep_seconds: int | None = None) -> None:
        super().__init__()
        self.keep_seconds = keep_seconds
        """How long a finished job's record stays (``[files] retention_days``; None: forever)."""
        self.r = redis
        self.p = f"{{{prefix}:batch}}"
        self._record = redis.register_script(_RECORD)
        self._unlock = redis.register_script(_UNLOCK)
        self._renew = redis.register_script(_RENEW)
        self._cas = redis.register_script(_CAS)

    async def put(self, job: Job) -> None:
        pipe = self.r.pipeline(transaction=False)
        pipe.set(f"{self.p}:job:{job.id}", msgspec.json.encode(job))
        pipe.zadd(f"{self.p}:jobs:{job.tenant}", {job.id: job.created_at})
        if job.status in TERMINAL:
            pipe.srem(f"{self.p}:active", job.id)
            if self.keep_seconds:
                pipe.expire(f"{self.p}:job:{job.id}", self.keep_seconds)
        else:
            pipe.sadd(f"{self.p}:active", job.id)
        await pipe.execute()

    async def get(self, job_id: str) -> Job | None:
        raw = await self.r.get(f"{self.p}:job:{job_id}")
        return msgspec.json.decode(raw, type=Job) if raw is not None else None

    async def update(self, job_id: str, change: Callable[[Job], bool]) -> Job | None:
        key = f"{self.p}:job:{job_id}"
        while True:
            raw = await self.r.get(key)
            if raw is None:
                return None
            job = msgspec.json.decode(raw, type=Job)
            if not change(job):
                return job
            terminal = "1" if job.status in TERMINAL else "0"
            args = [raw, msgspec.json.encode(job), terminal, job.id, self.keep_seconds or 0]
            if await self._cas(keys=[key, f"{self.p}:active"], args=args):
                return job
            # Another replica changed the record first: read it again and re-decide.

    async def for_tenant(self, tenant: str) -> list[Job]:
        ids = await self.r.zrevrange(f"{self.p}:jobs:{tenant}", 0, -1)
        if not ids:
            return []
        raws = await self.r.mget([f"{self.p}:job:{i.decode()}" for i in ids])
        gone = [i for i, raw in zip(ids, raws, strict=True) if raw is None]
        if gone:  # records past retention expired: drop them from the index too
            await self.r.zrem(f"{self.p}:jobs:{tenant}", *gone)
        return [msgspec.json.decode(raw, type=Job) for raw in raws if raw is not None]

    async def record(self, job_id: str, index: int, ok: bool, line: bytes) -> bool:
        keys = [f"{self.p}:res:{job_id}", f"{self.p}:cnt:{job_id}"]
        args = [index, (b"1" if ok else b"0") + line, "succeeded" if ok else "failed"]
        return bool(await self._record(keys=keys, args=args))

    async def has_result(self, job_id: str, index: int) -> bool:
        return bool(await self.r.hexists(f"{self.p}:res:{job_id}", index))

    async def attempt(self, job_id: str, index: int) -> int:
        key = f"{self.p}:try:{job_id}"
        tries = int(await self.r.hincrby(key, index, 1))
        if tries == 1:
            await self.r.expire(key, 7 * 86_400)
        return tries

    async def counts(self, job_id: str) -> Counts:
        ok, failed = await self.r.hmget(f"{self.p}:cnt:{job_id}", "succeeded", "failed")
        return Counts(succeeded=int(ok or 0), failed=int(failed or 0))

    async def results(self, job_id: str, total: int) -> AsyncIterator[tuple[int, bool, bytes]]:
        key = f"{self.p}:res:{job_id}"
        for start in range(0, total, 500):
            fields = list(range(start, min(total, start + 500)))
            for index, value in zip(fields, await self.r.hmget(key, fields), strict=True):
                if value is not None:
                    yield index, value[:1] == b"1", bytes(value[1:])

    async def lock(self, job_id: str, owner: str, ttl: float) -> bool:
        return bool(await self.r.set(f"{self.p}:fin:{job_id}", owner, nx=True, px=int(ttl * 1000)))

    async def renew(self, job_id: str, owner: str, ttl: float) -> bool:
        key = f"{self.p}:fin:{job_id}"
        return bool(await self._renew(keys=[key], args=[owner, int(ttl * 1000)]))

    async def unlock(self, job_id: str, owner: str) -> None:
        await self._unlock(keys=[f"{self.p}:fin:{job_id}"], args=[owner])

    async def active(self) -> list[str]:
        return [m.decode() for m in await self.r.smembers(f"{self.p}:active")]

    async def delete(self, job: Job) -> None:
        await self.purge_results(job.id)
        pipe = self.r.pipeline(transaction=False)
        pipe.delete(f"{self.p}:job:{job.id}")
        pipe.zrem(f"{self.p}:jobs:{job.tenant}", job.id)
        pipe.srem(f"{self.p}:active", job.id)
        await pipe.execute()

    async def purge_results(self, job_id: str) -> None:
        # One hash tag: a multi-key DEL stays in one slot on a cluster.
        await self.r.delete(
            f"{self.p}:res:{job_id}", f"{self.p}:cnt:{job_id}", f"{self.p}:try:{job_id}"
        )


class RedisStreamQueue(LineQueue):
    """Lines in one Redis Stream read by a consumer group shared by every replica."""

    def __init__(self, redis: Any, prefix: str, claim_idle: float) -> None:
        self.r = redis
        self.stream = f"{{{prefix}:batch}}:lines"
        self.group = f"{prefix}-runners"
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.claim_idle_ms = int(claim_idle * 1000)
        self._group_ready = False
        self._claim_cursor = "0-0"

    async def _ensure_group(self) -> None:
        if not self._group_ready:
            with contextlib.suppress(Exception):  # BUSYGROUP: it exists already
                await self.r.xgroup_create(self.stream, self.group, id="0", mkstream=True)
            self._group_ready = True

    async def push(self, refs: Sequence[LineRef]) -> None:
        await self._ensure_group()
        for start in range(0, len(refs), 500):
            pipe = self.r.pipeline(transaction=False)
            for ref in refs[start : start + 500]:
                pipe.xadd(self.stream, {b"r": msgspec.msgpack.encode(ref)})
            await pipe.execute()

    @staticmethod
    def _deliveries(entries: Any, claimed: bool = False) -> list[Delivery]:
        out = []
        for entry_id, fields in entries or []:
            if not fields:  # deleted while pending
                continue
            ref = msgspec.msgpack.decode(fields[b"r"], type=LineRef)
            out.append(Delivery(ref, entry_id.decode(), claimed))
        return out

    async def take(self, n: int, wait: float) -> list[Delivery]:
        await self._ensure_group()
        # Lines a dead replica left pending come first: they are the oldest work.
        claimed = await self.r.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self.claim_idle_ms,
            start_id=self._claim_cursor,
            count=n,
        )
        self._claim_cursor = claimed[0].decode() if claimed[0] else "0-0"
        out = self._deliveries(claimed[1], claimed=True)
        if out:
            return out
        got = await self.r.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=n, block=int(wait * 1000)
        )
        for _stream, entries in got or []:
            out += self._deliveries(entries)
        return out

    async def ack(self, delivery: Delivery) -> None:
        assert delivery.token is not None
        pipe = self.r.pipeline(transaction=False)
        pipe.xack(self.stream, self.group, delivery.token)
        pipe.xdel(self.stream, delivery.token)
        await pipe.execute()

    async def touch(self, deliveries: Sequence[Delivery]) -> None:
        ids = [d.token for d in deliveries if d.token is not None]
        if ids:
            await self.r.xclaim(
                self.stream,
                self.group,
                self.consumer,
                min_idle_time=0,
                message_ids=ids,
                justid=True,
            )
