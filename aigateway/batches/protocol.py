"""Batch wire types: the stored job, its Mistral and OpenAI views, and request parsing.

One :class:`Job` is stored per batch whichever API created it; ``GET /v1/batch/jobs/{id}``
renders it as Mistral's ``BatchJob`` and ``GET /v1/batches/{id}`` as OpenAI's ``Batch``.
Internal statuses are OpenAI's lifecycle (``validating → in_progress → finalizing →
completed | failed | cancelling → cancelled``); :data:`MISTRAL_STATUS` maps them to Mistral's
(``QUEUED, RUNNING, SUCCESS, FAILED, CANCELLATION_REQUESTED, CANCELLED``). Parsing is pure and
raises only :class:`~aigateway.errors.BadRequestError` naming the field. Field facts:
``docs/files-batches.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from ..errors import BadRequestError
from ..jsondepth import DEFAULT_MAX_DEPTH, nesting_over

__all__ = (
    "ENDPOINTS",
    "MISTRAL_STATUS",
    "TERMINAL",
    "Counts",
    "CreateSpec",
    "Job",
    "JobError",
    "Line",
    "mistral_view",
    "openai_view",
    "parse_create_mistral",
    "parse_create_openai",
    "parse_line",
)

ENDPOINTS = ("/v1/ocr", "/v1/chat/completions", "/v1/embeddings")
"""Endpoints a batch may target."""
TERMINAL = frozenset({"completed", "failed", "cancelled", "expired"})

MISTRAL_STATUS = {
    "validating": "QUEUED",
    "in_progress": "RUNNING",
    "finalizing": "RUNNING",
    "completed": "SUCCESS",
    "failed": "FAILED",
    "cancelling": "CANCELLATION_REQUESTED",
    "cancelled": "CANCELLED",
    "expired": "TIMEOUT_EXCEEDED",
}


class JobError(msgspec.Struct, kw_only=True):
    """A job-level error (validation): OpenAI's ``errors.data[]`` item."""

    message: str
    code: str = "invalid_request"
    line: int | None = None
    param: str | None = None


class Job(msgspec.Struct, kw_only=True):
    """A batch job as stored (counts live beside it, updated atomically per line)."""

    id: str
    tenant: str
    api: str
    """``mistral`` or ``openai``: which API created it (both can read it)."""
    endpoint: str
    model: str | None = None
    input_files: list[str]
    metadata: dict[str, Any] | None = None
    status: str = "validating"
    created_at: int
    in_progress_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    expires_at: int | None = None
    expired_at: int | None = None
    expiring: bool = False
    """Set with ``cancelling`` when the job ran out of time: it ends ``expired``."""
    completion_window: str = "24h"
    total: int = 0
    planned: int = 0
    """Lines queued (known before ``total`` is committed with ``in_progress``)."""
    final: tuple[int, int] | None = None
    """``(succeeded, failed)`` as written to the files when the job ended: a terminal job
    reports these, whatever lines finished after its files were written."""
    errors: list[JobError] = []
    output_file: str | None = None
    error_file: str | None = None
    ocr_refs: list[str] = []
    chat_refs: list[str] = []
    max_bytes: int = 0
    """The route's upload cap for this tenant when the job was created (per document)."""


@dataclass(frozen=True)
class Counts:
    """Lines done so far."""

    succeeded: int = 0
    failed: int = 0

    @property
    def done(self) -> int:
        """Lines with a result."""
        return self.succeeded + self.failed


@dataclass(frozen=True)
class CreateSpec:
    """A parsed create request of either API."""

    api: str
    endpoint: str
    input_files: list[str]
    requests: list[dict[str, Any]] | None
    model: str | None
    metadata: dict[str, Any] | None
    completion_window: str = "24h"
    timeout_hours: int = 24


@dataclass(frozen=True)
class Line:
    """One input line: its position, ``custom_id`` and request body."""

    index: int
    custom_id: str
    body: dict[str, Any]


def _endpoint(body: Mapping[str, Any]) -> str:
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise BadRequestError("endpoint is required, e.g. /v1/ocr", param="endpoint")
    if endpoint not in ENDPOINTS:
        raise BadRequestError(
            f"endpoint {endpoint[:60]!r} is not supported; use one of {', '.join(ENDPOINTS)}",
            param="endpoint",
        )
    return endpoint


def _metadata(body: Mapping[str, Any]) -> dict[str, Any] | None:
    meta = body.get("metadata")
    if meta is None:
        return None
    if not isinstance(meta, Mapping) or len(meta) > 16:
        raise BadRequestError("metadata must be an object of at most 16 keys", param="metadata")
    for k, v in meta.items():
        if len(k) > 64 or not isinstance(v, str | int | float | bool) or len(str(v)) > 512:
            raise BadRequestError(
                "metadata values must be short strings (keys up to 64, values up to 512 chars)",
                param=f"metadata.{k[:64]}",
            )
    return dict(meta)


def _opt_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or (isinstance(value, str) and value):
        return value
    raise BadRequestError(f"{key} must be a non-empty string", param=key)


def parse_create_mistral(body: Any) -> CreateSpec:
    """``POST /v1/batch/jobs``: ``endpoint``, ``input_files`` or ``requests``, ``model``…"""
    if not isinstance(body, Mapping):
        raise BadRequestError("the request body must be a JSON object", code="invalid_json")
    endpoint = _endpoint(body)
    if body.get("agent_id") is not None:
        raise BadRequestError("agent_id is not supported by this gateway", param="agent_id")
    files = body.get("input_files")
    requests = body.get("requests")
    if (files is None) == (requests is None):
        raise BadRequestError(
            "send exactly one of input_files (file ids) or requests (inline lines)",
            param="input_files",
        )
    if files is not None and (
        not isinstance(files, list)
        or not files
        or not all(isinstance(f, str) and f for f in files)
        or len(files) > 100
    ):
        raise BadRequestError("input_files must be a list of 1-100 file ids", param="input_files")
    if requests is not None:
        if not isinstance(requests, list) or not requests:
            raise BadRequestError("requests must be a non-empty list", param="requests")
        for i, r in enumerate(requests):
            if not isinstance(r, Mapping) or not isinstance(r.get("body"), Mapping):
                raise BadRequestError(
                    f"requests[{i}] must be an object with a `body` object",
                    param=f"requests[{i}].body",
                )
    hours = body.get("timeout_hours", 24)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 168:
        raise BadRequestError(
            "timeout_hours must be an integer from 1 to 168", param="timeout_hours"
        )
    return CreateSpec(
        api="mistral",
        endpoint=endpoint,
        input_files=list(files or []),
        requests=[dict(r) for r in requests] if requests is not None else None,
        model=_opt_str(body, "model"),
        metadata=_metadata(body),
        timeout_hours=hours,
    )


def parse_create_openai(body: Any) -> CreateSpec:
    """``POST /v1/batches``: ``input_file_id``, ``endpoint``, ``completion_window``…"""
    if not isinstance(body, Mapping):
        raise BadRequestError("the request body must be a JSON object", code="invalid_json")
    endpoint = _endpoint(body)
    file_id = body.get("input_file_id")
    if not isinstance(file_id, str) or not file_id:
        raise BadRequestError("input_file_id is required", param="input_file_id")
    window = body.get("completion_window", "24h")
    if window != "24h":
        raise BadRequestError("completion_window must be '24h'", param="completion_window")
    return CreateSpec(
        api="openai",
        endpoint=endpoint,
        input_files=[file_id],
        requests=None,
        model=None,
        metadata=_metadata(body),
        completion_window=window,
    )


_line_decoder = msgspec.json.Decoder()


def parse_line(raw: bytes, index: int, endpoint: str, max_depth: int = DEFAULT_MAX_DEPTH) -> Line:
    """One JSONL line (``{"custom_id", "body", ["method", "url"]}``); 400 naming the problem.

    The Mistral form has only ``custom_id`` (optional: the line number stands in) and
    ``body``; the OpenAI form adds ``method: POST`` and ``url``, which must be the batch's
    endpoint. The body may nest ``max_depth`` levels below the line (``[limits]
    max_json_depth``, as for a request).
    """
    if nesting_over(raw, max_depth + 1) is not None:
        raise BadRequestError(
            f"line {index + 1} nests deeper than {max_depth} levels", param="body"
        )
    try:
        obj = _line_decoder.decode(raw)
    except msgspec.DecodeError:
        raise BadRequestError(f"line {index + 1} is not valid JSON", param="line") from None
    if not isinstance(obj, dict):
        raise BadRequestError(f"line {index + 1} must be a JSON object", param="line")
    body = obj.get("body")
    if not isinstance(body, dict):
        raise BadRequestError(f"line {index + 1} needs a `body` object", param="body")
    cid = obj.get("custom_id")
    if cid is None:
        cid = str(index)
    elif not isinstance(cid, str | int) or isinstance(cid, bool) or not str(cid):
        raise BadRequestError(
            f"line {index + 1}: custom_id must be a non-empty string", param="custom_id"
        )
    method = obj.get("method")
    if method is not None and method != "POST":
        raise BadRequestError(f"line {index + 1}: method must be POST", param="method")
    url = obj.get("url")
    if url is not None and url != endpoint:
        raise BadRequestError(
            f"line {index + 1}: url {str(url)[:60]!r} is not the batch's endpoint {endpoint}",
            param="url",
        )
    return Line(index=index, custom_id=str(cid)[:256], body=body)


# --- views -----------------------------------------------------------------------------------


def mistral_view(job: Job, counts: Counts, outputs: list[Any] | None = None) -> dict[str, Any]:
    """Mistral's ``BatchJob``."""
    status = MISTRAL_STATUS.get(job.status, "QUEUED")
    if job.status == "completed" and job.total and counts.failed == job.total:
        status = "FAILED"
    view: dict[str, Any] = {
        "id": job.id,
        "object": "batch",
        "input_files": job.input_files,
        "metadata": job.metadata,
        "endpoint": job.endpoint,
        "model": job.model,
        "agent_id": None,
        "output_file": job.output_file,
        "error_file": job.error_file,
        "errors": [{"message": e.message, "count": 1} for e in job.errors],
        "status": status,
        "created_at": job.created_at,
        "total_requests": job.total,
        "completed_requests": counts.done,
        "succeeded_requests": counts.succeeded,
        "failed_requests": counts.failed,
        "started_at": job.in_progress_at,
        "completed_at": job.completed_at or job.failed_at or job.cancelled_at or job.expired_at,
    }
    if outputs is not None:
        view["outputs"] = outputs
    return view


def openai_view(job: Job, counts: Counts) -> dict[str, Any]:
    """OpenAI's ``Batch``."""
    errors = None
    if job.errors:
        errors = {
            "object": "list",
            "data": [
                {"code": e.code, "message": e.message, "line": e.line, "param": e.param}
                for e in job.errors
            ],
        }
    return {
        "id": job.id,
        "object": "batch",
        "endpoint": job.endpoint,
        "model": job.model,
        "errors": errors,
        "input_file_id": job.input_files[0] if job.input_files else "",
        "completion_window": job.completion_window,
        "status": job.status,
        "output_file_id": job.output_file,
        "error_file_id": job.error_file,
        "created_at": job.created_at,
        "in_progress_at": job.in_progress_at,
        "expires_at": job.expires_at,
        "finalizing_at": job.finalizing_at,
        "completed_at": job.completed_at,
        "failed_at": job.failed_at,
        "expired_at": job.expired_at,
        "cancelling_at": job.cancelling_at,
        "cancelled_at": job.cancelled_at,
        "request_counts": {
            "total": job.total,
            "completed": counts.succeeded,
            "failed": counts.failed,
        },
        "metadata": job.metadata,
    }
