"""A loopback upstream that misbehaves in the ways that hurt a gateway: huge bodies, events that
never end, JSON nested too deep, error codes of any length, absurd ``Retry-After`` values.

Bodies are generated as they are sent (``size`` bytes, 256 KiB per write), never held: the fake
can send 100 MB in constant memory, and it stops when the gateway hangs up. It speaks the wire
formats of the upstreams it stands for, chosen by path and model:

=====================================  ==========================================================
request                                answer
=====================================  ==========================================================
``POST /v1/chat/completions``          by ``model``: ``huge`` (a chat completion whose content is
``POST /v1/embeddings``                ``size`` bytes, chunked), ``huge-declared`` (the same with
                                       ``Content-Length``), ``sse-endless`` (one SSE event of
                                       ``size`` bytes that never ends), ``sse-huge-ok`` (a normal
                                       stream whose one event is ``size`` bytes), ``deep`` (200
                                       JSON nested 100,000 deep), ``long-code`` (400 whose
                                       ``code`` and ``param`` are 5,000 characters), ``retry-inf``
                                       (429 with ``Retry-After: 1e400``); anything else a small
                                       normal answer
``POST /v1/ocr`` (Mistral)             a page whose markdown is ``size`` bytes
``POST /models/{m}/ocr`` (AlphaEdge)   ``{"text": …}`` of ``size`` bytes
``…:analyze`` / poll (Azure)           202 + ``Operation-Location``, then ``size`` bytes of content
=====================================  ==========================================================
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from .server import FakeUpstream, Recorded, read_request

__all__ = ("HostileUpstream",)

CHUNK = 256 * 1024
MB = 1_000_000


def _filler(size: int) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        block = b"A" * CHUNK
        left = size
        while left > 0:
            n = min(CHUNK, left)
            yield block if n == CHUNK else block[:n]
            left -= n

    return gen()


async def _wrapped(head: bytes, size: int, tail: bytes) -> AsyncIterator[bytes]:
    yield head
    async for chunk in _filler(size):
        yield chunk
    yield tail


class HostileUpstream(FakeUpstream):
    """See the module docstring; ``size`` is the byte count of the big bodies."""

    def __init__(self, size: int = 100 * MB) -> None:
        super().__init__()
        self.size = size
        self.sent = 0
        """Body bytes written by the last big answer before it ended or the gateway hung up."""
        self.hung_up = 0
        """Big answers the gateway stopped reading before their end."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        req = await read_request(scope, receive)
        self.requests.append(req)
        status, headers, body = self._answer(req)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        if isinstance(body, bytes):
            await send({"type": "http.response.body", "body": body})
            return
        # uvicorn drops writes after a disconnect silently: watch receive() to notice it.
        watcher = asyncio.ensure_future(receive())
        self.sent = 0
        try:
            async for chunk in body:
                if watcher.done():
                    self.hung_up += 1
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                self.sent += len(chunk)
                await asyncio.sleep(0)  # let the watcher see a disconnect
            await send({"type": "http.response.body", "body": b""})
        finally:
            watcher.cancel()

    def _answer(self, req: Recorded) -> tuple[int, dict[str, str], bytes | AsyncIterator[bytes]]:
        js = {"content-type": "application/json"}
        path = req.path
        if path.endswith(("/chat/completions", "/embeddings")):
            return self._chat(req)
        if path == "/v1/ocr":
            head = b'{"model":"mistral-ocr-latest","pages":[{"index":0,"markdown":"'
            tail = b'","images":[],"dimensions":null}],"usage_info":{"pages_processed":1}}'
            return 200, js, _wrapped(head, self.size, tail)
        if path.startswith("/models/") and path.endswith("/ocr"):
            return 200, js, _wrapped(b'{"text":"', self.size, b'"}')
        if path.endswith(":analyze"):
            location = f"http://127.0.0.1:{self.port}/documentintelligence/operations/1"
            return 202, {"operation-location": location, "retry-after": "0"}, b""
        if "/operations/" in path:
            head = b'{"status":"succeeded","analyzeResult":{"content":"'
            tail = b'","pages":[{"pageNumber":1,"spans":[{"offset":0,"length":5}]}]}}'
            return 200, js, _wrapped(head, self.size, tail)
        return 404, js, b'{"detail":"Not Found"}'

    def _chat(self, req: Recorded) -> tuple[int, dict[str, str], bytes | AsyncIterator[bytes]]:
        js = {"content-type": "application/json"}
        sse = {"content-type": "text/event-stream"}
        model = str(req.json().get("model"))
        head = b'{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"content":"'
        tail = b'"},"finish_reason":"stop"}]}'
        if model == "huge":
            return 200, js, _wrapped(head, self.size, tail)
        if model == "huge-declared":
            length = len(head) + self.size + len(tail)
            return 200, {**js, "content-length": str(length)}, _wrapped(head, self.size, tail)
        if model == "sse-endless":
            return 200, sse, _wrapped(b'data: {"choices":[{"delta":{"content":"', self.size, b"")
        if model == "sse-huge-ok":
            event_head = b'data: {"choices":[{"index":0,"delta":{"content":"'
            return 200, sse, _wrapped(event_head, self.size, b'"}}]}\n\ndata: [DONE]\n\n')
        if model == "deep":
            return 200, js, b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        if model == "long-code":
            error = {"message": "no", "type": "invalid_request_error"}
            error |= {"code": "c" * 5000, "param": "p" * 5000}
            return 400, js, json.dumps({"error": error}).encode()
        if model == "retry-inf":
            error = {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}
            return 429, {**js, "retry-after": "1e400"}, json.dumps({"error": error}).encode()
        answer = {
            "id": "ok",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "fine"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        return 200, js, json.dumps(answer).encode()
