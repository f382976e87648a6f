"""The API operations: OCR, chat completions, embeddings and models.

Handlers are named ``kind`` or ``kind:route-path`` (``ocr:/scan``, ``chat:/``); each builder
gets the configured route the handler belongs to (its entities and upload cap), so what the
document says follows the config.
"""

from __future__ import annotations

from typing import Any

from .common import SAMPLE_PDF, OperationContext
from .common import errors as _errors
from .common import ok as _ok
from .common import schema as _schema

__all__ = ("chat", "embeddings", "model", "models", "ocr")


def _refs_note(ctx: OperationContext, refs: tuple[str, ...], what: str) -> str:
    if not refs:
        return f"No {what} is configured on this route."
    if not ctx.disclose:
        return f"`GET /v1/models` lists the {what} your API key may use."
    return f"{what.capitalize()} on this route: " + ", ".join(f"`{r}`" for r in refs) + "."


def ocr(ctx: OperationContext) -> dict[str, Any]:
    """``POST /v1/ocr`` (and the ``ocr`` plugin's paths)."""
    assert ctx.route is not None
    route = ctx.route
    cap = route.limits.max_bytes
    json_example: dict[str, Any] = {
        "document": {"type": "document_url", "document_url": SAMPLE_PDF},
        "include_image_base64": False,
    }
    if ctx.disclose and route.ocr_refs:
        json_example["provider"] = route.ocr_refs[0]
    description = (
        "Mistral OCR compatible. Send the document as JSON (a data URI, base64 or a URL) or "
        "as a multipart upload (field `image`, other fields alongside). Every page's markdown "
        "comes back in `pages[]`, all of it joined in `text`. "
        f"Uploads are capped at {cap} bytes of decoded document on this route (a tenant may "
        "have a lower cap). " + _refs_note(ctx, route.ocr_refs, "OCR entities")
    )
    return {
        "tags": ["ocr"],
        "summary": "OCR a document",
        "description": description,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _schema("OcrJsonRequest"),
                    "example": json_example,
                },
                "multipart/form-data": {
                    "schema": _schema("OcrMultipartRequest"),
                    "encoding": {
                        "image": {
                            "contentType": "application/pdf, image/png, image/jpeg, image/gif, "
                            "image/webp, image/tiff, image/bmp, image/avif, image/heic, "
                            "application/octet-stream"
                        }
                    },
                },
            },
        },
        "responses": {
            "200": _ok(
                "The document's pages as markdown.",
                {"application/json": {"schema": _schema("OcrResponse")}},
                provider=True,
                cost=True,
                cache=True,
            ),
            **_errors(ctx, "400", "404", "413", "415", "422", "502", "503", "504"),
        },
    }


def _model_example(ctx: OperationContext) -> str:
    route = ctx.route
    if ctx.disclose and route is not None:
        for ref in route.chat_refs:
            entity = ctx.settings.chat_model(ref)
            if entity is not None and (entity.models or entity.aliases):
                return [*entity.models, *entity.aliases][0]
    return "gpt-4o-mini"


def _event_schema(description: str) -> dict[str, Any]:
    # OpenAPI 3.1 has `schema` of an event stream describe one event; the `data` of each is a
    # chunk or an error envelope as JSON text, or the final "[DONE]".
    return {
        "type": "object",
        "description": description,
        "required": ["data"],
        "properties": {
            "data": {
                "type": "string",
                "if": {"const": "[DONE]"},
                "else": {
                    "contentMediaType": "application/json",
                    "contentSchema": {
                        "anyOf": [_schema("ChatCompletionChunk"), _schema("ErrorEnvelope")]
                    },
                },
            },
            "event": {"type": "string"},
            "id": {"type": "string"},
            "retry": {"type": "integer"},
        },
    }


def chat(ctx: OperationContext) -> dict[str, Any]:
    """``POST /v1/chat/completions``: JSON, or an SSE stream with ``stream: true``."""
    assert ctx.route is not None
    stream_doc = (
        "With `stream: true`: `data: <chat.completion.chunk JSON>` events (schema "
        "`ChatCompletionChunk`), `: ping` comment lines as keep-alive, and `data: [DONE]` at the "
        'end. An upstream failure after the first event arrives as one `data: {"error": {…}}` '
        "event (the error envelope) before the stream closes."
    )
    chat_request = {
        "model": _model_example(ctx),
        "messages": [{"role": "user", "content": "Say hello."}],
    }
    return {
        "tags": ["chat"],
        "summary": "Create a chat completion",
        "description": "OpenAI compatible; the body is relayed to the upstream with only "
        "`model` rewritten. " + _refs_note(ctx, ctx.route.chat_refs, "chat entities"),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _schema("ChatCompletionRequest"),
                    "examples": {
                        "answer": {"summary": "One JSON answer", "value": chat_request},
                        "streamed": {
                            "summary": "Streamed as server-sent events",
                            "value": {
                                **chat_request,
                                "stream": True,
                                "stream_options": {"include_usage": True},
                            },
                        },
                    },
                }
            },
        },
        "responses": {
            "200": _ok(
                "The completion (JSON), or its stream (`text/event-stream`).",
                {
                    "application/json": {"schema": _schema("ChatCompletion")},
                    "text/event-stream": {
                        "schema": _event_schema(stream_doc),
                        "x-event-schema": _schema("ChatCompletionChunk"),
                    },
                },
                provider=True,
                cost=True,
            ),
            **_errors(ctx, "400", "404", "413", "415", "4XX", "502", "504"),
        },
    }


def embeddings(ctx: OperationContext) -> dict[str, Any]:
    """``POST /v1/embeddings``."""
    assert ctx.route is not None
    return {
        "tags": ["embeddings"],
        "summary": "Create embeddings",
        "description": "OpenAI compatible; relayed like chat completions. "
        + _refs_note(ctx, ctx.route.chat_refs, "chat entities"),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _schema("EmbeddingRequest"),
                    "example": {"model": _model_example(ctx), "input": "The quick brown fox"},
                }
            },
        },
        "responses": {
            "200": _ok(
                "The embeddings.",
                {"application/json": {"schema": _schema("EmbeddingList")}},
                provider=True,
                cost=True,
            ),
            **_errors(ctx, "400", "404", "413", "415", "4XX", "502", "504"),
        },
    }


def models(ctx: OperationContext) -> dict[str, Any]:
    """``GET /v1/models``."""
    return {
        "tags": ["models"],
        "summary": "List the models this API key may use",
        "description": 'OCR entities are marked `"type": "ocr"`; chat entities contribute their '
        "model names and aliases.",
        "responses": {
            "200": _ok("The models.", {"application/json": {"schema": _schema("ModelList")}}),
            **_errors(ctx),
        },
    }


def model(ctx: OperationContext) -> dict[str, Any]:
    """``GET /v1/models/{model_id}``."""
    return {
        "tags": ["models"],
        "summary": "Retrieve one model",
        "parameters": [
            {
                "name": "model_id",
                "in": "path",
                "required": True,
                "description": "A listed model id, or `entity-id/upstream-model` (the slash may "
                "be sent raw or as %2F).",
                "schema": {"type": "string", "minLength": 1},
            }
        ],
        "responses": {
            "200": _ok("The model.", {"application/json": {"schema": _schema("ModelCard")}}),
            **_errors(ctx, "404"),
        },
    }
