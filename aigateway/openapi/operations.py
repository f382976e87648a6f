"""One OpenAPI operation per kind of handler the gateway mounts.

Handlers are named ``kind`` or ``kind:route-path`` (``ocr:/scan``, ``chat:/``, ``healthz``);
:data:`OPERATIONS` maps each kind to a builder. A builder gets the configured route the handler
belongs to (its entities and upload cap), so what the document says follows the config.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..gateway import RouteContext
from .components import REF, error_response_name

__all__ = ("OPERATIONS", "SAMPLE_PDF", "OperationContext")

SAMPLE_PDF = (
    "data:application/pdf;base64,JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvUGFnZXMgL0tpZHMg"
    "WzQgMCBSXSAvQ291bnQgMSA+PgplbmRvYmoKMiAwIG9iago8PCAvVHlwZSAvRm9udCAvU3VidHlwZSAvVHlwZTEg"
    "L0Jhc2VGb250IC9IZWx2ZXRpY2EgL0VuY29kaW5nIC9XaW5BbnNpRW5jb2RpbmcgPj4KZW5kb2JqCjMgMCBvYmoK"
    "PDwgIC9MZW5ndGggNjcgPj4Kc3RyZWFtCkJUCi9GMSAxMSBUZiAxNS40IFRMIDAgVHIgNTYgNzcwIFRkCihIZWxs"
    "byBmcm9tIGFpZ2F0ZXdheSkgVGogVCoKRVQKZW5kc3RyZWFtCmVuZG9iago0IDAgb2JqCjw8IC9UeXBlIC9QYWdl"
    "IC9QYXJlbnQgMSAwIFIgL01lZGlhQm94IFswIDAgNTk1IDg0Ml0gL1JvdGF0ZSAwIC9SZXNvdXJjZXMgPDwgL0Zv"
    "bnQgPDwgL0YxIDIgMCBSID4+ICA+PiAvQ29udGVudHMgMyAwIFIgPj4KZW5kb2JqCjUgMCBvYmoKPDwgL1R5cGUg"
    "L0NhdGFsb2cgL1BhZ2VzIDEgMCBSID4+CmVuZG9iagp4cmVmCjAgNgowMDAwMDAwMDAwIDY1NTM1IGYgCjAwMDAw"
    "MDAwMTUgMDAwMDAgbiAKMDAwMDAwMDA3MiAwMDAwMCBuIAowMDAwMDAwMTY5IDAwMDAwIG4gCjAwMDAwMDAyODcg"
    "MDAwMDAgbiAKMDAwMDAwMDQyNCAwMDAwMCBuIAp0cmFpbGVyCjw8IC9TaXplIDYgL1Jvb3QgNSAwIFIgPj4Kc3Rh"
    "cnR4cmVmCjQ3MwolJUVPRgo="
)
"""A one-page PDF with a text layer ("Hello from aigateway"): the examples' document."""


@dataclass(frozen=True)
class OperationContext:
    """What a builder may know: the settings, the handler's route (if any), auth on/off."""

    settings: Settings
    route: RouteContext | None
    auth: bool
    disclose: bool
    """Whether entity ids and model names may appear (not when tenants exist: the document
    is public, and only ``GET /v1/models`` with a key says what a tenant may use)."""


def _schema(name: str) -> dict[str, str]:
    return {"$ref": REF.format(name=name)}


def _errors(ctx: OperationContext, *statuses: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    wanted = list(statuses)
    if ctx.auth:
        wanted += ["401", "403", "429"]
    if not ctx.settings.state.fail_open and ctx.auth:
        wanted.append("503")
    for status in sorted(set(wanted), key=lambda s: s.replace("X", "9")):
        out[status] = {"$ref": f"#/components/responses/{error_response_name(status)}"}
    return out


def _ok(description: str, content: dict[str, Any], *, provider: bool = False) -> dict[str, Any]:
    headers: dict[str, Any] = {"x-request-id": {"$ref": "#/components/headers/RequestId"}}
    if provider:
        headers["x-aigateway-provider"] = {"$ref": "#/components/headers/Provider"}
    return {"description": description, "headers": headers, "content": content}


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
    cap = route.max_size_upload
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
                            "image/webp, image/tiff, image/bmp, application/octet-stream"
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


def _public(op: dict[str, Any]) -> dict[str, Any]:
    op["security"] = []
    return op


def healthz(ctx: OperationContext) -> dict[str, Any]:
    """``GET /healthz``."""
    return _public(
        {
            "tags": ["operations"],
            "summary": "Liveness",
            "responses": {
                "200": _ok(
                    "The process answers.", {"application/json": {"schema": _schema("Health")}}
                )
            },
        }
    )


def readyz(ctx: OperationContext) -> dict[str, Any]:
    """``GET /readyz``."""
    body = {"application/json": {"schema": _schema("Readiness")}}
    return _public(
        {
            "tags": ["operations"],
            "summary": "Readiness",
            "description": "Config loaded, OCR engines warm, state backend reachable.",
            "responses": {
                "200": _ok("Ready.", body),
                "503": _ok("Not ready; `checks` says why.", body),
            },
        }
    )


def metrics(ctx: OperationContext) -> dict[str, Any]:
    """``GET /metrics``."""
    return _public(
        {
            "tags": ["operations"],
            "summary": "Prometheus metrics (this replica)",
            "responses": {
                "200": _ok(
                    "Prometheus text format 0.0.4.",
                    {"text/plain": {"schema": {"type": "string"}}},
                )
            },
        }
    )


def admin_usage(ctx: OperationContext) -> dict[str, Any]:
    """``GET /admin/usage``."""
    return {
        "tags": ["operations"],
        "summary": "Usage per tenant and entity (admin key)",
        "description": "Needs `Authorization: Bearer <admin_key>`; 404 when no `admin_key` is "
        "configured.",
        "security": [{"bearer": []}],
        "parameters": [
            {
                "name": "tenant",
                "in": "query",
                "required": False,
                "description": "Only this tenant.",
                "schema": {"type": "string"},
            }
        ],
        "responses": {
            "200": _ok("Usage.", {"application/json": {"schema": _schema("UsageReport")}}),
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "404": {"$ref": "#/components/responses/NotFound"},
        },
    }


def preview(ctx: OperationContext) -> dict[str, Any]:
    """``POST /playground/preview``."""
    return {
        "tags": ["playground"],
        "summary": "Page images of a document (for the playground)",
        "description": "The same multipart body as OCR; answers each selected page as a JPEG "
        f"at {ctx.settings.playground.preview_dpi} dpi, at most "
        f"{ctx.settings.playground.preview_max_pages} pages.",
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": _schema("OcrMultipartRequest")}},
        },
        "responses": {
            "200": _ok(
                "The page images.", {"application/json": {"schema": _schema("PreviewResponse")}}
            ),
            **_errors(ctx, "400", "413", "415", "422"),
        },
    }


OPERATIONS: dict[str, Callable[[OperationContext], dict[str, Any]]] = {
    "ocr": ocr,
    "chat": chat,
    "embeddings": embeddings,
    "models": models,
    "model": model,
    "healthz": healthz,
    "readyz": readyz,
    "metrics": metrics,
    "admin-usage": admin_usage,
    "playground-preview": preview,
}
"""Handler kind → operation builder."""
