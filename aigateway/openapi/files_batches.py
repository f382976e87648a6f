"""Operations of ``/v1/files`` and the batch endpoints (Mistral ``/v1/batch/jobs``, OpenAI
``/v1/batches``). Field-level wire facts: ``docs/files-batches.md``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .common import OperationContext, errors, ok

__all__ = ("FILES_BATCHES",)

_OBJECT = {"type": "object", "additionalProperties": True}
_JSON = {"application/json": {"schema": _OBJECT}}
_BYTES = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


def _op(
    tag: str,
    summary: str,
    description: str,
    answer: str,
    statuses: tuple[str, ...],
    *,
    body: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
    public: bool = False,
    path_param: str | None = None,
) -> Callable[[OperationContext], dict[str, Any]]:
    def build(ctx: OperationContext) -> dict[str, Any]:
        op: dict[str, Any] = {
            "tags": [tag],
            "summary": summary,
            "description": description,
            "responses": {
                "200": ok(answer, content or _JSON),
                **errors(ctx, *statuses),
            },
        }
        if body is not None:
            op["requestBody"] = {"required": True, "content": body}
        if path_param is not None:
            op["parameters"] = [
                {"name": path_param, "in": "path", "required": True, "schema": {"type": "string"}}
            ]
        if public:
            op["security"] = []
        return op

    return build


_UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary"},
                "purpose": {
                    "type": "string",
                    "enum": ["ocr", "batch", "user_data", "batch_output", "fine-tune", "vision"],
                },
                "expiry": {"type": "integer", "description": "Mistral: hours to keep it"},
                "expires_after[seconds]": {"type": "integer", "description": "OpenAI"},
            },
        }
    }
}
_CREATE = {"application/json": {"schema": _OBJECT}}

FILES_BATCHES: dict[str, Callable[[OperationContext], dict[str, Any]]] = {
    "files-upload": _op(
        "files",
        "Upload a file",
        "Multipart `file` and `purpose`; answers the file object both SDKs parse.",
        "The file.",
        ("400", "413", "415"),
        body=_UPLOAD,
    ),
    "files-list": _op("files", "List files", "The caller's files, newest first.", "A list.", ()),
    "files-get": _op(
        "files",
        "A file",
        "404 for another tenant's file.",
        "The file.",
        ("404",),
        path_param="file_id",
    ),
    "files-delete": _op(
        "files", "Delete a file", "", "`{id, object, deleted}`.", ("404",), path_param="file_id"
    ),
    "files-content": _op(
        "files", "A file's bytes", "", "The bytes.", ("404",), content=_BYTES, path_param="file_id"
    ),
    "files-url": _op(
        "files",
        "A signed URL",
        "`?expiry=H` hours; the URL needs no auth header and is refused once expired.",
        "`{url}`.",
        ("400", "404"),
        path_param="file_id",
    ),
    "files-signed": _op(
        "files",
        "What a signed URL serves",
        "No auth header: the signature is the permission. 403 when altered, 410 when expired.",
        "The bytes.",
        ("400", "403", "404"),
        content=_BYTES,
        public=True,
        path_param="file_id",
    ),
    "mbatch-create": _op(
        "batches",
        "Create a batch job (Mistral)",
        "`endpoint` (`/v1/ocr`, `/v1/chat/completions`, `/v1/embeddings`), `input_files` or "
        "inline `requests`, `model`, `metadata`, `timeout_hours`.",
        "The job (`BatchJob`).",
        ("400", "404", "413"),
        body=_CREATE,
    ),
    "mbatch-list": _op("batches", "List batch jobs (Mistral)", "", "`{data, total}`.", ()),
    "mbatch-get": _op(
        "batches",
        "A batch job (Mistral)",
        "`?inline=true` adds `outputs`.",
        "The job.",
        ("404",),
        path_param="job_id",
    ),
    "mbatch-cancel": _op(
        "batches", "Cancel a batch job (Mistral)", "", "The job.", ("404",), path_param="job_id"
    ),
    "mbatch-delete": _op(
        "batches",
        "Delete a finished batch job (Mistral)",
        "",
        "`{id, deleted}`.",
        ("400", "404"),
        path_param="job_id",
    ),
    "batch-create": _op(
        "batches",
        "Create a batch (OpenAI)",
        "`input_file_id`, `endpoint`, `completion_window` (`24h`), `metadata`.",
        "The batch (`Batch`).",
        ("400", "404", "413"),
        body=_CREATE,
    ),
    "batch-list": _op(
        "batches", "List batches (OpenAI)", "Cursor: `after`, `limit`.", "A page.", ()
    ),
    "batch-get": _op(
        "batches", "A batch (OpenAI)", "", "The batch.", ("404",), path_param="batch_id"
    ),
    "batch-cancel": _op(
        "batches", "Cancel a batch (OpenAI)", "", "The batch.", ("404",), path_param="batch_id"
    ),
}
"""Handler kind → operation builder (merged into ``OPERATIONS``)."""
