"""Any OpenAI-compatible upstream (OpenAI, Mistral, vLLM, Ollama …): one ``[[chat_models]]`` entity.

The adapter only opens the upstream request and maps failures; bodies pass through as bytes.
Failures map like the OCR adapters' (:mod:`aigateway.upstream.errors`), with one addition: a caller-
fault 4xx keeps the upstream's own ``code`` and ``param`` (``context_length_exceeded`` on
``messages`` is more useful to the caller than a generic code), when they are short identifiers
(:func:`~aigateway.errors.bounded_code`): an upstream cannot make the gateway echo megabytes.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from ...config import ChatModelConfig
from ...errors import (
    GatewayError,
    UpstreamError,
    UpstreamTimeoutError,
    bounded_code,
    bounded_param,
)
from ...jsondepth import UPSTREAM_MAX_DEPTH, nesting_over
from ...upstream.body import read_prefix
from ...upstream.errors import error_for_status
from .base import ChatProviderContext

__all__ = ("PROVIDER", "OpenAIChatProvider")


class _UpstreamDetail(msgspec.Struct):
    code: str | int | None = None
    param: str | None = None


class _UpstreamEnvelope(msgspec.Struct):
    error: _UpstreamDetail | str | None = None


class OpenAIChatProvider:
    """Opens requests to one OpenAI-compatible server with the entity's key and headers."""

    def __init__(self, entity: ChatModelConfig, clients: ChatProviderContext) -> None:
        self.entity = entity
        self.id = entity.id
        headers = dict(entity.headers)
        if entity.api_key:
            headers["Authorization"] = f"Bearer {entity.api_key}"
        # The base URL names the API root (".../v1"); request paths are relative to it.
        self.client = clients.http_client(
            base_url=entity.base_url.rstrip("/") + "/",
            timeout=entity.timeout,
            headers=headers,
        )
        self._secrets = tuple(s for s in (entity.api_key, *entity.headers.values()) if s)

    def upstream_model(self, public: str) -> str | None:
        """The upstream name for ``public`` if this entity serves it (by name or alias)."""
        if public in self.entity.aliases:
            return self.entity.aliases[public]
        if public in self.entity.models:
            return public
        return None

    async def open(self, path: str, body: bytes, *, request_id: str) -> httpx.Response:
        """POST ``body`` to ``path`` and return the response once its headers arrived (2xx).

        The body is left unread for the caller to relay; the caller must close the response.

        Raises:
            GatewayError: the mapped upstream failure (status, timeout, connection).
        """
        request = self.client.build_request(
            "POST",
            path.lstrip("/"),
            content=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json, text/event-stream",
                "X-Request-Id": request_id,
            },
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise UpstreamTimeoutError(f"{self.id} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"{self.id} could not be reached ({type(exc).__name__})") from None
        if response.is_success:
            return response
        try:
            raw = await read_prefix(response)
        finally:
            await response.aclose()
        raise self.error(response.status_code, response.headers, raw)

    def error(self, status: int, headers: Any, body: bytes) -> GatewayError:
        """The gateway error for an upstream non-2xx answer (keys scrubbed from the message)."""
        exc = error_for_status(self.id, status, headers, body, self._secrets)
        shallow = nesting_over(body, UPSTREAM_MAX_DEPTH) is None
        if shallow and exc.status_code == status and 400 <= status < 500 and status != 429:
            try:
                detail = msgspec.json.decode(body, type=_UpstreamEnvelope).error
            except (msgspec.ValidationError, msgspec.DecodeError):
                detail = None
            if isinstance(detail, _UpstreamDetail):
                code, param = bounded_code(detail.code), bounded_param(detail.param)
                if code is not None:
                    exc.code = code
                if param is not None:
                    exc.param = param
        return exc

    async def aclose(self) -> None:
        """Nothing of its own to close: the app's clients owner closes the client."""


PROVIDER = OpenAIChatProvider
"""The adapter ``provider = "openai"`` names (found by the chat registry by convention)."""
