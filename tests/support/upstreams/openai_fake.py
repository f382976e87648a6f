"""A loopback fake of an OpenAI-compatible server: chat (JSON and SSE), embeddings, models.

It speaks the real wire format (``data: {chunk}\\n\\n`` … ``data: [DONE]``, ``{"error": {…}}``
bodies, ``Retry-After``), checks the gateway's upstream key, and misbehaves on demand by
upstream model name:

=============  ===========================================================================
model          behaviour
=============  ===========================================================================
fail-400       400 ``context_length_exceeded`` on ``messages``
fail-401       401 (the *gateway's* key is wrong), message quotes the key like OpenAI does
fail-500       500 ``server_error``
always-429     429 with ``Retry-After: 1``
flaky-429      429 (``Retry-After: 1``) on odd calls, success on even calls
slow           waits ``slow_delay`` seconds before answering
not-json       200 with an HTML body
gated          streams the first chunk, then waits for :attr:`gate` before the rest
hang           streams the first chunk, then waits until the client goes away
break          streams the first chunk, then drops the connection mid-body
no-done        a normal stream without the final ``data: [DONE]``
ignore-stream  answers plain JSON even when asked to stream (as some servers do)
=============  ===========================================================================

Anything else answers normally with :meth:`text_for` (one token per word; `max_completion_tokens`
/ `max_tokens` cut it). ``script`` replies (from the base class)
are answered first, for tests that need a one-off status.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import threading
import time
from collections import Counter
from typing import Any

from .server import FakeUpstream, Recorded, Reply, read_request

__all__ = ("OpenAIFake",)

CREATED = 1_700_000_000


def _err(message: str, type_: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _missing(param: str) -> Reply:
    # What OpenAI answers for a missing or malformed required field.
    return Reply(
        400,
        _err(
            f"Missing required parameter: '{param}'.",
            "invalid_request_error",
            "missing_required_parameter",
            param,
        ),
    )


class OpenAIFake(FakeUpstream):
    """See the module docstring. Thread-safe flags let tests in other threads steer it."""

    def __init__(self, name: str = "up", api_key: str = "sk-upstream-secret-123") -> None:
        super().__init__()
        self.name = name
        self.api_key = api_key
        self.calls: Counter[str] = Counter()
        self.gate = threading.Event()
        self.chunks_sent = 0
        self.stream_started = threading.Event()
        self.disconnected = threading.Event()
        self.slow_delay = 3.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.times: list[float] = []
        """Unix time each request arrived."""

    def text_for(self, model: str) -> str:
        """The deterministic answer text for ``model`` (streams split it into words)."""
        return f"Hello from {self.name} via {model}: the quick brown fox jumps."

    def reset(self) -> None:
        super().reset()
        self.calls.clear()
        self.times.clear()
        self.gate.clear()
        self.stream_started.clear()
        self.disconnected.clear()
        self.chunks_sent = 0

    # --- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        req = await read_request(scope, receive)
        self.requests.append(req)
        self.times.append(time.time())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.script:
                await self._send_reply(send, self.script.pop(0))
            elif req.headers.get("authorization") != f"Bearer {self.api_key}":
                await self._send_reply(
                    send,
                    Reply(
                        401,
                        _err(
                            f"Incorrect API key provided: {req.headers.get('authorization')}",
                            "invalid_request_error",
                            "invalid_api_key",
                        ),
                    ),
                )
            elif req.method == "GET" and req.path == "/v1/models":
                data = [
                    {"id": m, "object": "model", "created": 0, "owned_by": self.name}
                    for m in ("gpt-test", "embed-test")
                ]
                await self._send_reply(send, Reply(200, {"object": "list", "data": data}))
            elif req.method == "POST" and req.path == "/v1/chat/completions":
                await self._chat(req, receive, send)
            elif req.method == "POST" and req.path == "/v1/embeddings":
                await self._send_reply(send, self._embeddings(req.json()))
            else:
                await self._send_reply(
                    send, Reply(404, _err("Not found", "invalid_request_error", None))
                )
        finally:
            self.in_flight -= 1

    @staticmethod
    async def _send_reply(send: Any, reply: Reply) -> None:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        body, headers = reply.encoded()
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": body})

    # --- chat --------------------------------------------------------------------------------

    async def _chat(self, req: Recorded, receive: Any, send: Any) -> None:
        body = req.json()
        model = body["model"]
        self.calls[model] += 1
        failure = self._failure(model)
        if failure is not None:
            await self._send_reply(send, failure)
            return
        # Malformed messages are a 400, as OpenAI answers (missing or empty ones are let
        # through: tests that only exercise the transport send "messages": []).
        messages = body.get("messages", [])
        if not isinstance(messages, list) or not all(
            isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages
        ):
            await self._send_reply(send, _missing("messages"))
            return
        if model == "slow":
            await asyncio.sleep(self.slow_delay)
        if model == "not-json":
            await self._send_reply(
                send, Reply(200, b"<html>oops</html>", {"content-type": "text/html"})
            )
            return
        text = self.text_for(model)
        words = [w + " " for w in text.split(" ")]
        words[-1] = words[-1].rstrip()
        # One word is one token here; a maximum cuts the answer, as real servers do.
        cap = body.get("max_completion_tokens", body.get("max_tokens"))
        if isinstance(cap, int) and not isinstance(cap, bool) and cap >= 0:
            words = words[:cap]
            text = "".join(words)
        prompt_tokens = sum(
            len(str(m.get("content", "")).split()) for m in body.get("messages", [])
        )
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(words),
            "total_tokens": prompt_tokens + len(words),
        }
        if not body.get("stream") or model == "ignore-stream":
            await self._send_reply(
                send,
                Reply(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": CREATED,
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text, "refusal": None},
                                "finish_reason": "stop",
                                "logprobs": None,
                            }
                        ],
                        "usage": usage,
                        "system_fingerprint": None,
                    },
                ),
            )
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        await self._stream(model, words, usage if include_usage else None, receive, send)

    def _failure(self, model: str) -> Reply | None:
        if model == "fail-400":
            return Reply(
                400,
                _err(
                    "This model's maximum context length is 8 tokens.",
                    "invalid_request_error",
                    "context_length_exceeded",
                    "messages",
                ),
            )
        if model == "fail-401":
            return Reply(
                401,
                _err(
                    f"Incorrect API key provided: {self.api_key}.",
                    "invalid_request_error",
                    "invalid_api_key",
                ),
            )
        if model == "fail-500":
            return Reply(
                500,
                _err(
                    "The server had an error while processing your request.", "server_error", None
                ),
            )
        if model == "always-429" or (model == "flaky-429" and self.calls[model] % 2 == 1):
            return Reply(
                429,
                _err("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
                {"retry-after": "1"},
            )
        return None

    @staticmethod
    def _chunk(model: str, delta: dict[str, Any], finish: str | None) -> bytes:
        chunk = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    async def _stream(
        self,
        model: str,
        words: list[str],
        usage: dict[str, int] | None,
        receive: Any,
        send: Any,
    ) -> None:
        # uvicorn also answers receive() with http.disconnect once the response is complete:
        # only a disconnect before our last byte is the client (the gateway) hanging up.
        finished = False
        watcher = asyncio.ensure_future(receive())
        watcher.add_done_callback(
            lambda t: (
                self.disconnected.set()
                if not finished
                and not t.cancelled()
                and t.result().get("type") == "http.disconnect"
                else None
            )
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream; charset=utf-8")],
            }
        )
        events = [self._chunk(model, {"role": "assistant", "content": ""}, None)]
        events += [self._chunk(model, {"content": w}, None) for w in words]
        events.append(self._chunk(model, {}, "stop"))
        if usage is not None:
            last = json.loads(self._chunk(model, {}, None)[6:])
            last["choices"], last["usage"] = [], usage
            events.append(b"data: " + json.dumps(last).encode() + b"\n\n")
        if model != "no-done":
            events.append(b"data: [DONE]\n\n")
        try:
            for i, event in enumerate(events):
                # Counted before it is sent: the server may flush it, and the gateway relay it
                # to a test that reads this count, before this coroutine runs again.
                self.chunks_sent += 1
                await send({"type": "http.response.body", "body": event, "more_body": True})
                if i == 1:
                    self.stream_started.set()
                    if model == "gated":
                        await self._wait(self.gate.is_set, 20)
                    elif model == "hang":
                        await self._wait(self.disconnected.is_set, 30)
                        return
                    elif model == "break":
                        raise ConnectionAbortedError("fake upstream drops the stream")
            finished = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            if not watcher.done():
                watcher.cancel()

    @staticmethod
    async def _wait(condition: Any, limit: float) -> None:
        # The flags are threading.Events set from the test's thread: poll them.
        deadline = time.monotonic() + limit
        while not condition() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    # --- embeddings --------------------------------------------------------------------------

    def _embeddings(self, body: dict[str, Any]) -> Reply:
        model = body["model"]
        self.calls[model] += 1
        failure = self._failure(model)
        if failure is not None:
            return failure
        if not isinstance(body.get("input"), (str, list)):
            return _missing("input")
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for i, text in enumerate(inputs):
            vector = [float(len(str(text))), float(i), 0.5]
            embedding: Any = vector
            if body.get("encoding_format") == "base64":
                embedding = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        tokens = sum(len(str(t).split()) for t in inputs)
        return Reply(
            200,
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )
