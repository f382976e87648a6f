"""Request and response shapes the handlers read by hand, written down as msgspec Structs.

The OCR and chat handlers read raw request streams (bounded and spooled) and normalize them in
code, so Litestar cannot infer their schemas. These Structs describe the same wire forms for the
OpenAPI document only; the handlers' own code (``ocr/normalize.py``, ``chat/schemas.py``) stays
the judge of what is accepted. Keep them in step: ``tests/test_openapi.py`` sends every example
and generated body to a live gateway.

Chat and embeddings are relayed to OpenAI-compatible upstreams: their Structs name the fields
the gateway acts on or that clients commonly send, and leave the objects open
(``additionalProperties``) because every other field passes through untouched.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

__all__ = (
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionRequest",
    "DocumentUrlChunk",
    "EmbeddingList",
    "EmbeddingRequest",
    "FileChunk",
    "Health",
    "ImageUrlChunk",
    "OcrJsonRequest",
    "OcrMultipartRequest",
    "Readiness",
    "UsageReport",
)

# --- OCR requests ------------------------------------------------------------------------------

_DataUriOrUrl = Annotated[
    str,
    Meta(
        min_length=1,
        description="An http(s) URL the gateway downloads (or passes to an upstream that "
        "fetches URLs itself), or a data: URI such as data:application/pdf;base64,JVBERi0…",
    ),
]
_Base64 = Annotated[
    str,
    Meta(
        min_length=1,
        description="The document as base64 (whitespace, URL-safe alphabet and missing padding "
        "are tolerated) or as a data: URI.",
    ),
]
_Pages = Annotated[
    list[Annotated[int, Meta(ge=0)]]
    | Annotated[str, Meta(pattern=r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")]
    | Annotated[int, Meta(ge=0)]
    | None,
    Meta(
        description="0-based page indexes: a list, one integer, or a string of ranges like "
        '"0-2,5". The response keeps each page\'s original index.',
    ),
]
_Count = Annotated[int, Meta(ge=0)] | None
_MEDIA_TYPE = r"^\s*[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\s*(;.*)?$"


class ImageUrl(msgspec.Struct, kw_only=True):
    """The object form of ``image_url`` (the ``detail`` hint is accepted and ignored)."""

    url: _DataUriOrUrl
    detail: str | None = None


class DocumentUrlChunk(msgspec.Struct, kw_only=True, tag_field="type", tag="document_url"):
    """A document by URL or data URI (what the mistralai SDK sends)."""

    document_url: _DataUriOrUrl
    document_name: str | None = None


class ImageUrlChunk(msgspec.Struct, kw_only=True, tag_field="type", tag="image_url"):
    """An image by URL or data URI, as a string or an ``{url}`` object."""

    image_url: _DataUriOrUrl | ImageUrl


class FileChunk(msgspec.Struct, kw_only=True, tag_field="type", tag="file"):
    """A previously uploaded file (answered with a 400 while the gateway has no files store)."""

    file_id: str


class JsonSchemaFormat(msgspec.Struct, kw_only=True):
    """``json_schema`` of a response format: a name and a JSON Schema object."""

    name: str
    schema: dict[str, Any]
    description: str | None = None
    strict: bool | None = None


class ResponseFormat(msgspec.Struct, kw_only=True):
    """Structured annotation output (passed to upstreams that support it)."""

    type: Literal["json_schema"]
    json_schema: JsonSchemaFormat


class _OcrOptions(msgspec.Struct, kw_only=True):
    model: str | None = None
    provider: Annotated[
        str | None,
        Meta(description="The OCR model entity to use; it must be on the route (404 otherwise)."),
    ] = None
    content_type: (
        Annotated[
            str,
            Meta(
                pattern=_MEDIA_TYPE,
                description="The document's media type, when the bytes should not be sniffed.",
            ),
        ]
        | None
    ) = None
    pages: _Pages = None
    pdf_password: str | None = None
    include_image_base64: bool | None = None
    image_limit: _Count = None
    image_min_size: _Count = None
    table_format: Literal["markdown", "html"] | None = None
    extract_header: bool | None = None
    extract_footer: bool | None = None
    document_annotation_format: ResponseFormat | None = None
    bbox_annotation_format: ResponseFormat | None = None
    document_annotation_prompt: str | None = None
    force_ocr: Annotated[
        bool | None, Meta(description="Local engine: ignore PDF text layers and run OCR.")
    ] = None
    id: str | None = None


class OcrJsonRequest(_OcrOptions, kw_only=True):
    """An OCR request as JSON: one of ``document``, ``document_url``, ``image_url``,
    ``document_base64`` or ``image_base64`` locates the document (base64 fields first, then
    ``document``, then the flat URL fields). Unknown fields are ignored."""

    document: (
        Annotated[
            DocumentUrlChunk | ImageUrlChunk | FileChunk,
            Meta(description="The Mistral document object."),
        ]
        | _DataUriOrUrl
        | None
    ) = None
    document_url: _DataUriOrUrl | None = None
    image_url: _DataUriOrUrl | ImageUrl | None = None
    document_base64: _Base64 | None = None
    image_base64: _Base64 | None = None


_FormBool = Annotated[bool, Meta(description="`true` or `false` (also 1/0, yes/no, on/off).")]
_FormCount = Annotated[int, Meta(ge=0)]


class OcrMultipartRequest(msgspec.Struct, kw_only=True):
    """An OCR request as ``multipart/form-data``: the file in ``image`` (or ``file``,
    ``document``); every other field is read like its JSON twin. An empty field counts as
    absent."""

    image: bytes
    model: str | UnsetType = UNSET
    provider: str | UnsetType = UNSET
    content_type: Annotated[str, Meta(pattern=_MEDIA_TYPE)] | UnsetType = UNSET
    pages: (
        Annotated[str, Meta(description='0-based pages: "0,1,2", "0-2,5" or "[0, 1]".')] | UnsetType
    ) = UNSET
    pdf_password: str | UnsetType = UNSET
    include_image_base64: _FormBool | UnsetType = UNSET
    image_limit: _FormCount | UnsetType = UNSET
    image_min_size: _FormCount | UnsetType = UNSET
    table_format: Literal["markdown", "html"] | UnsetType = UNSET
    extract_header: _FormBool | UnsetType = UNSET
    extract_footer: _FormBool | UnsetType = UNSET
    force_ocr: _FormBool | UnsetType = UNSET
    id: str | UnsetType = UNSET


# --- chat completions and embeddings ----------------------------------------------------------


class StreamOptions(msgspec.Struct, kw_only=True):
    """Streaming options; ``include_usage`` adds a last chunk with token counts."""

    include_usage: bool | None = None


class ChatMessage(msgspec.Struct, kw_only=True):
    """One message; ``content`` is text or a list of parts (text, image_url, …)."""

    role: str
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None


class ChatCompletionRequest(msgspec.Struct, kw_only=True):
    """A chat completion request. The gateway reads ``model``, ``stream`` and
    ``stream_options``, rewrites ``model`` to the upstream's name, and relays every other
    field byte for byte."""

    model: Annotated[
        str,
        Meta(
            min_length=1,
            description="A model name of this route (see GET /v1/models), an alias, or "
            "entity-id/upstream-model.",
        ),
    ]
    messages: list[ChatMessage]
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    temperature: float | None = None
    max_tokens: int | None = None


class ChatCompletionMessage(msgspec.Struct, kw_only=True):
    """The assistant's message."""

    role: str
    content: str | None = None


class ChatChoice(msgspec.Struct, kw_only=True):
    """One completion choice."""

    index: int
    message: ChatCompletionMessage
    finish_reason: str | None = None


class TokenUsage(msgspec.Struct, kw_only=True):
    """Token counts as the upstream reported them."""

    prompt_tokens: int
    completion_tokens: int | None = None
    total_tokens: int


class ChatCompletion(msgspec.Struct, kw_only=True):
    """The upstream's answer, relayed as it came (only the body is not re-encoded)."""

    id: str
    object: str
    created: int
    model: str
    choices: list[ChatChoice]
    usage: TokenUsage | None = None


class ChunkDelta(msgspec.Struct, kw_only=True):
    """What a chunk adds to the message."""

    role: str | None = None
    content: str | None = None


class ChunkChoice(msgspec.Struct, kw_only=True):
    """One choice of a streamed chunk."""

    index: int
    delta: ChunkDelta
    finish_reason: str | None = None


class ChatCompletionChunk(msgspec.Struct, kw_only=True):
    """One ``data:`` event of a streamed completion (the stream ends with ``data: [DONE]``)."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: TokenUsage | None = None


class EmbeddingRequest(msgspec.Struct, kw_only=True):
    """An embeddings request, relayed like chat (``model`` rewritten, the rest untouched)."""

    model: Annotated[str, Meta(min_length=1)]
    input: str | list[str | int | list[int]]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: Annotated[int, Meta(ge=1)] | None = None
    user: str | None = None


class Embedding(msgspec.Struct, kw_only=True):
    """One embedding vector (a base64 string with ``encoding_format=base64``)."""

    object: str
    index: int
    embedding: list[float] | str


class EmbeddingList(msgspec.Struct, kw_only=True):
    """The upstream's embeddings answer, relayed as it came."""

    object: str
    data: list[Embedding]
    model: str
    usage: TokenUsage | None = None


# --- operations endpoints ---------------------------------------------------------------------


class Health(msgspec.Struct):
    """The process answers."""

    status: Literal["ok"]


class Readiness(msgspec.Struct):
    """Config loaded, OCR engines warm, limits servable: ``ready``; ``degraded`` (200) serves
    with ``reasons``; ``not ready`` is a 503."""

    status: Literal["ready", "degraded", "not ready"]
    reasons: list[str]
    checks: dict[str, Any]


class UsageReport(msgspec.Struct):
    """Usage per tenant and entity (``?tenant=`` narrows it to one tenant, ``?day=`` to one UTC
    day): ``{tenant: {entity: {requests, errors, tokens_in, tokens_out, pages, bytes_in,
    bytes_out, cost_nanos, cache_hits, cost}}}``; ``budgets`` is ``{tenant: {amount, period,
    spent, spent_nanos, left, resets_at}}`` for the tenants with a budget."""

    object: Literal["usage"]
    data: Any
    budgets: dict[str, Any]
    day: str | UnsetType = UNSET
