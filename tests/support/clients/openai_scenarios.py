"""Drive a running gateway with the official ``openai`` SDK and print a JSON report.

    python tests/support/clients/openai_scenarios.py BASE_URL API_KEY

Standalone on purpose (imports only ``openai`` and ``httpx``): the test suite runs it with the
current SDK (``.venv``) and with the 1.x SDK (``.venv-legacy``) against a real server process.
The upstream behind the gateway is ``tests/support/upstreams/openai_fake.py``; model names select its
behaviours. The report holds what the SDK saw; the test makes the assertions.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import httpx
import openai
from openai import OpenAI

MESSAGES: Any = [{"role": "user", "content": "say hello please"}]


def _error(fn: Any) -> dict[str, Any]:
    try:
        fn()
    except openai.APIStatusError as exc:
        return {
            "class": type(exc).__name__,
            "status": exc.status_code,
            "code": exc.code,
            "param": exc.param,
            "type": exc.type,
            "request_id": exc.request_id,
            "message": exc.message,
            "retry_after": exc.response.headers.get("retry-after"),
        }
    except openai.APIError as exc:
        return {
            "class": type(exc).__name__,
            "code": exc.code,
            "type": exc.type,
            "message": exc.message,
            "status": None,
        }
    return {"class": None}


def main(base: str, key: str) -> dict[str, Any]:
    calls: list[str] = []

    def hook(request: httpx.Request) -> None:
        calls.append(request.url.path)

    def client(max_retries: int = 0, api_key: str = key) -> OpenAI:
        http = httpx.Client(event_hooks={"request": [hook]}, timeout=30)
        return OpenAI(
            base_url=base + "/v1", api_key=api_key, http_client=http, max_retries=max_retries
        )

    c = client()
    report: dict[str, Any] = {"openai_version": openai.__version__}
    report["models"] = [m.id for m in c.models.list()]
    report["retrieve_alias"] = c.models.retrieve("fast").id
    report["retrieve_prefixed"] = c.models.retrieve("primary/gpt-test").id

    raw = c.chat.completions.with_raw_response.create(model="gpt-test", messages=MESSAGES)
    completion = raw.parse()
    report["chat"] = {
        "text": completion.choices[0].message.content,
        "finish_reason": completion.choices[0].finish_reason,
        "model": completion.model,
        "usage": [completion.usage.prompt_tokens, completion.usage.completion_tokens]
        if completion.usage
        else None,
        "request_id": raw.headers.get("x-request-id"),
    }

    parts: list[str] = []
    chunks = 0
    for chunk in c.chat.completions.create(model="gpt-test", messages=MESSAGES, stream=True):
        chunks += 1
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
    report["stream"] = {"text": "".join(parts), "chunks": chunks}

    usage = None
    parts = []
    for chunk in c.chat.completions.create(
        model="fast", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        if chunk.usage is not None:
            usage = [chunk.usage.prompt_tokens, chunk.usage.completion_tokens, len(chunk.choices)]
    report["stream_usage"] = {"text": "".join(parts), "usage": usage}

    emb = c.embeddings.create(model="embed-test", input=["one two", "three"])
    report["embeddings"] = {
        "vectors": [list(d.embedding) for d in emb.data],
        "usage": emb.usage.prompt_tokens,
    }

    big = [{"role": "user", "content": "x" * 1_000_000}]
    report["errors"] = {
        "400": _error(lambda: c.chat.completions.create(model="fail-400", messages=MESSAGES)),
        "401": _error(lambda: client(api_key="sk-wrong-key-0000").models.list()),
        "404": _error(lambda: c.chat.completions.create(model="no-such", messages=MESSAGES)),
        "413": _error(lambda: c.chat.completions.create(model="gpt-test", messages=big)),
        "429": _error(lambda: c.chat.completions.create(model="always-429", messages=MESSAGES)),
        "502": _error(lambda: c.chat.completions.create(model="fail-500", messages=MESSAGES)),
        "stream_502": _error(
            lambda: list(
                c.chat.completions.create(model="fail-500", messages=MESSAGES, stream=True)
            )
        ),
        "midstream": _error(
            lambda: list(c.chat.completions.create(model="break", messages=MESSAGES, stream=True))
        ),
    }

    calls.clear()
    start = time.monotonic()
    retried = client(max_retries=2).chat.completions.create(model="flaky-429", messages=MESSAGES)
    report["retry"] = {
        "calls": sum(1 for p in calls if p.endswith("/chat/completions")),
        "seconds": round(time.monotonic() - start, 2),
        "text": retried.choices[0].message.content,
    }
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
