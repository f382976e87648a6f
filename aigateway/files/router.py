"""Files transport: ``/v1/files`` in the Mistral and OpenAI wire formats.

``POST /v1/files`` (multipart ``file`` + ``purpose``), ``GET /v1/files``, ``GET
/v1/files/{id}``, ``GET /v1/files/{id}/content``, ``DELETE /v1/files/{id}``, ``GET
/v1/files/{id}/url?expiry=H`` (a signed URL) and ``GET /v1/files/{id}/signed`` (what a signed
URL serves: no auth header, the signature is the permission). Transport only: the
:class:`~aigateway.files.store.FileStore` does the work.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from litestar import Request, Response, delete, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Stream

from ..errors import BadRequestError, UnsupportedMediaTypeError
from ..http.bodies import content_type_of, read_multipart
from ..http.client import body_stream
from ..http.limits import BodyLimits, multipart_body_limit
from ..http.middleware import log_fields
from ..tenancy.auth import Tenant
from .params import Admit, int_param, json_response
from .records import PURPOSES, FileList, FileRecord
from .store import FileStore, count_lines

__all__ = ("file_handlers",)

_GENERIC = frozenset({"application/octet-stream", "binary/octet-stream", "text/plain"})


def _mimetype(declared: str | None, filename: str) -> str | None:
    media = (declared or "").split(";", 1)[0].strip().lower()
    if media and media not in _GENERIC:
        return media
    guessed = mimetypes.guess_type(filename)[0]
    if filename.lower().endswith(".jsonl"):
        return "application/jsonl"
    return guessed or (media or None)


def _safe_name(name: str | None) -> str:
    base = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"\r\n')[:255]
    return cleaned or "upload"


def _expiry(fields: dict[str, str]) -> int | None:
    """Seconds to live from OpenAI's ``expires_after[seconds]`` or Mistral's ``expiry`` (hours)."""
    seconds = fields.get("expires_after[seconds]")
    if seconds:
        return int_param(seconds, "expires_after[seconds]", 0, 3600, 2_592_000)
    hours = fields.get("expiry")
    if hours and hours.lower() != "null":
        return int_param(hours, "expiry", 0, 1, 24 * 365) * 3600
    return None


def file_handlers(
    files: FileStore,
    admit: Admit,
    upload_limit: Callable[[Tenant], int],
    *,
    route_path: str,
    max_field_bytes: int,
) -> list[HTTPRouteHandler]:
    """The ``/v1/files`` handlers of one route (``route_path`` is its prefix)."""
    config = files.config
    prefix = "" if route_path.rstrip("/") == "" else route_path.rstrip("/")

    async def _tenant(request: Request[Any, Any, Any]) -> Tenant:
        fields = log_fields(request)
        fields["kind"] = "files"
        tenant, admission = await admit(request.headers, fields)
        await admission.release()  # file calls are short: counted, not held
        return tenant

    async def upload(request: Request[Any, Any, Any]) -> Response[bytes]:
        tenant = await _tenant(request)
        media, params = content_type_of(request.headers.get("content-type"))
        if media != "multipart/form-data" or not params.get("boundary"):
            raise UnsupportedMediaTypeError(
                "upload a file as multipart/form-data with fields `file` and `purpose`",
                param="content-type",
            )
        max_bytes = upload_limit(tenant)
        limits = BodyLimits(
            multipart_body_limit(max_bytes, max_field_bytes),
            f"multipart body (max_size_upload is {max_bytes} bytes)",
        )
        limits.check_declared(request.headers.get("content-length"))
        form = await read_multipart(
            body_stream(request),
            params["boundary"],
            limits,
            file_fields=("file",),
            max_file_bytes=max_bytes,
            max_field_bytes=max_field_bytes,
        )
        if form.upload is None:
            raise BadRequestError("no file: send it in multipart field `file`", param="file")
        _, blob, declared, filename = form.upload
        try:
            purpose = form.fields.get("purpose") or "batch"
            if purpose not in PURPOSES:
                raise BadRequestError(
                    f"purpose must be one of {', '.join(PURPOSES)}, not {purpose[:40]!r}",
                    param="purpose",
                )
            if blob.size == 0:
                raise BadRequestError("file: the uploaded file is empty", param="file")
            name = _safe_name(filename)
            ttl = _expiry(form.fields)
            jsonl = purpose == "batch" or name.lower().endswith(".jsonl")
            lines = await anyio.to_thread.run_sync(count_lines, blob) if jsonl else None
            record = await files.create(
                tenant.id,
                blob,
                filename=name,
                purpose=purpose,
                mimetype=_mimetype(declared, name),
                sample_type="batch_request" if purpose == "batch" else purpose,
                num_lines=lines,
                expires_at=None if ttl is None else int(time.time()) + ttl,
            )
        finally:
            blob.close()
        log_fields(request)["bytes_in"] = record.bytes
        return json_response(record.wire())

    async def list_files(request: Request[Any, Any, Any]) -> Response[bytes]:
        tenant = await _tenant(request)
        q = request.query_params
        purpose = q.get("purpose") or None
        records = await files.list_files(tenant.id, purpose)
        if q.get("order") == "asc":
            records.reverse()
        after = q.get("after")
        if after:
            ids = [r.id for r in records]
            records = records[ids.index(after) + 1 :] if after in ids else []
        total = len(records)
        if "page" in q or "page_size" in q:  # Mistral's pages
            size = int_param(q.get("page_size"), "page_size", 100, 1, 10_000)
            page = int_param(q.get("page"), "page", 0, 0, 1_000_000)
            window = records[page * size : (page + 1) * size]
            more = (page + 1) * size < total
        else:  # OpenAI's cursor
            limit = int_param(q.get("limit"), "limit", 10_000, 1, 10_000)
            window, more = records[:limit], len(records) > limit
        body = FileList(
            data=[r.wire() for r in window],
            total=total,
            has_more=more,
            first_id=window[0].id if window else None,
            last_id=window[-1].id if window else None,
        )
        return json_response(body)

    async def retrieve(request: Request[Any, Any, Any]) -> Response[bytes]:
        file_id = str(request.path_params["file_id"])
        tenant = await _tenant(request)
        return json_response((await files.get(tenant.id, file_id)).wire())

    async def remove(request: Request[Any, Any, Any]) -> Response[bytes]:
        file_id = str(request.path_params["file_id"])
        tenant = await _tenant(request)
        record = await files.delete(tenant.id, file_id)
        return json_response({"id": record.id, "object": "file", "deleted": True})

    def _download(record: FileRecord) -> Stream:
        return Stream(
            files.stream(record),
            media_type="application/octet-stream",
            headers={
                "content-length": str(record.bytes),
                "content-disposition": f'attachment; filename="{_safe_name(record.filename)}"',
            },
        )

    async def content(request: Request[Any, Any, Any]) -> Stream:
        file_id = str(request.path_params["file_id"])
        tenant = await _tenant(request)
        record = await files.get(tenant.id, file_id)
        log_fields(request)["bytes_out"] = record.bytes
        return _download(record)

    async def signed_url(request: Request[Any, Any, Any]) -> Response[bytes]:
        file_id = str(request.path_params["file_id"])
        tenant = await _tenant(request)
        hours = int_param(
            request.query_params.get("expiry"), "expiry", 24, 1, config.max_url_expiry_hours
        )
        record = await files.get(tenant.id, file_id)
        base = config.public_url or str(request.base_url).rstrip("/")
        return json_response({"url": files.signed_url(record, base + prefix, hours)})

    async def signed(request: Request[Any, Any, Any]) -> Stream:
        file_id = str(request.path_params["file_id"])
        fields = log_fields(request)
        fields["kind"] = "files"
        record = await files.open_signed(str(request.url), param="url")
        if record.id != file_id:  # the path and the signed id must agree
            raise BadRequestError("the signed URL's path was altered", param="url")
        fields["tenant"] = record.tenant
        return _download(record)

    name = route_path
    return [
        post("/v1/files", status_code=200, name=f"files-upload:{name}")(upload),
        get("/v1/files", name=f"files-list:{name}")(list_files),
        get("/v1/files/{file_id:str}", name=f"files-get:{name}")(retrieve),
        delete("/v1/files/{file_id:str}", status_code=200, name=f"files-delete:{name}")(remove),
        get("/v1/files/{file_id:str}/content", name=f"files-content:{name}")(content),
        get("/v1/files/{file_id:str}/url", name=f"files-url:{name}")(signed_url),
        get("/v1/files/{file_id:str}/signed", name=f"files-signed:{name}")(signed),
    ]
