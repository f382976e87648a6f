"""A fake OpenAI-compatible chat completions API with a "vision model" (UPSTREAMS.md §2, §4.5).

The model "reads" the image it gets: it answers the image's format and size inside a
```markdown fence (as chat models like to), so tests can tell which page went where. Errors use
OpenAI's nested envelope ``{"error": {"message", "type", "param", "code"}}``. ``latency`` delays
every answer and ``max_inflight`` records the peak of concurrent calls.
"""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

from PIL import Image

from .server import FakeUpstream, Recorded, Reply

__all__ = ("FakeOpenAI",)

MODELS = {"gpt-4o-mini", "qwen2.5-vl"}


def openai_error(message: str, type_: str, code: str | None, param: str | None = None) -> Any:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class FakeOpenAI(FakeUpstream):
    def __init__(self, api_key: str = "sk-openai-test") -> None:
        super().__init__()
        self.api_key = api_key
        self.latency = 0.0
        self.inflight = 0
        self.max_inflight = 0

    def reset(self) -> None:
        super().reset()
        self.latency = 0.0
        self.inflight = self.max_inflight = 0

    async def handle(self, req: Recorded) -> Reply:
        if req.method != "POST" or req.path != "/v1/chat/completions":
            return Reply(404, openai_error("Not found", "invalid_request_error", None))
        if req.headers.get("authorization") != f"Bearer {self.api_key}":
            shown = req.headers.get("authorization", "")[7:12]
            return Reply(
                401,
                openai_error(
                    f"Incorrect API key provided: {shown}****. You can find your API key at "
                    "https://platform.openai.com/account/api-keys.",
                    "invalid_request_error",
                    "invalid_api_key",
                ),
            )
        body = req.json()
        if body.get("model") not in MODELS:
            return Reply(
                404,
                openai_error(
                    f"The model `{body.get('model')}` does not exist or you do not have access "
                    "to it.",
                    "invalid_request_error",
                    "model_not_found",
                ),
            )
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            parts = body["messages"][0]["content"]
            url = next(p["image_url"]["url"] for p in parts if p["type"] == "image_url")
            header, b64 = url.split(",", 1)
            img = Image.open(io.BytesIO(base64.b64decode(b64)))
            text = f"```markdown\n# {img.format} {img.width}x{img.height}\n\n{header}\n```"
        finally:
            self.inflight -= 1
        return Reply(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 1700000000,
                "model": body["model"] + "-2024",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 800, "completion_tokens": 20, "total_tokens": 820},
            },
        )
