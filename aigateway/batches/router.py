"""Batch transport: Mistral's ``/v1/batch/jobs`` and OpenAI's ``/v1/batches``.

Mistral: ``POST /v1/batch/jobs``, ``GET /v1/batch/jobs``, ``GET /v1/batch/jobs/{id}``
(``?inline=true`` adds ``outputs``), ``POST /v1/batch/jobs/{id}/cancel``, ``DELETE
/v1/batch/jobs/{id}`` (a finished job). OpenAI: ``POST
/v1/batches``, ``GET /v1/batches``, ``GET /v1/batches/{id}``, ``POST
/v1/batches/{id}/cancel``. Both read the same jobs; each renders its own shape. Transport only:
:class:`~aigateway.batches.service.BatchService` does the work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.handlers import HTTPRouteHandler

from ..files.params import Admit, int_param, json_response
from ..http.bodies import read_json
from ..http.client import body_stream
from ..http.limits import BodyLimits, json_body_limit
from ..http.middleware import log_fields
from ..tenancy.auth import Tenant
from .protocol import (
    Counts,
    Job,
    mistral_view,
    openai_view,
    parse_create_mistral,
    parse_create_openai,
)
from .service import BatchService

__all__ = ("batch_handlers",)


def batch_handlers(
    batches: BatchService,
    admit: Admit,
    *,
    route_path: str,
    ocr_refs: tuple[str, ...],
    chat_refs: tuple[str, ...],
    upload_limit: Callable[[Tenant], int],
    max_depth: int,
) -> list[HTTPRouteHandler]:
    """The batch handlers of one route; lines run on this route's entities."""

    async def _tenant(request: Request[Any, Any, Any]) -> Tenant:
        fields = log_fields(request)
        fields["kind"] = "batches"
        tenant, admission = await admit(request.headers, fields)
        await admission.release()
        await batches.ensure_started()
        return tenant

    async def _create(
        request: Request[Any, Any, Any], parse: Callable[[Any], Any]
    ) -> tuple[Job, Counts]:
        tenant = await _tenant(request)
        max_bytes = upload_limit(tenant)
        # Inline Mistral requests may carry documents: the route's JSON cap applies.
        limits = BodyLimits(json_body_limit(max_bytes), f"JSON body (max_size_upload {max_bytes})")
        limits.check_declared(request.headers.get("content-length"))
        spec = parse(await read_json(body_stream(request), limits, max_depth))
        job, counts = await batches.create(
            tenant,
            spec,
            ocr_refs=tenant.narrow(list(ocr_refs)),
            chat_refs=tenant.narrow(list(chat_refs)),
            max_bytes=max_bytes,
        )
        log_fields(request)["batch"] = job.id
        return job, counts

    # --- Mistral -------------------------------------------------------------------------------

    async def m_create(request: Request[Any, Any, Any]) -> Response[bytes]:
        return json_response(mistral_view(*await _create(request, parse_create_mistral)))

    async def m_list(request: Request[Any, Any, Any]) -> Response[bytes]:
        tenant = await _tenant(request)
        q = request.query_params
        jobs = await batches.list_jobs(tenant.id)
        status = q.getall("status", [])
        if status:
            jobs = [(j, c) for j, c in jobs if mistral_view(j, c)["status"] in status]
        page = int_param(q.get("page"), "page", 0, 0, 1_000_000)
        size = int_param(q.get("page_size"), "page_size", 100, 1, 10_000)
        window = jobs[page * size : (page + 1) * size]
        return json_response(
            {"object": "list", "data": [mistral_view(j, c) for j, c in window], "total": len(jobs)}
        )

    async def m_get(request: Request[Any, Any, Any]) -> Response[bytes]:
        job_id = str(request.path_params["job_id"])
        tenant = await _tenant(request)
        job, counts = await batches.get(tenant.id, job_id)
        inline = request.query_params.get("inline", "").lower() in ("true", "1")
        outputs = await batches.outputs(job) if inline else None
        return json_response(mistral_view(job, counts, outputs))

    async def m_delete(request: Request[Any, Any, Any]) -> Response[bytes]:
        job_id = str(request.path_params["job_id"])
        tenant = await _tenant(request)
        job = await batches.delete(tenant.id, job_id)
        return json_response({"id": job.id, "object": "batch", "deleted": True})

    async def m_cancel(request: Request[Any, Any, Any]) -> Response[bytes]:
        job_id = str(request.path_params["job_id"])
        tenant = await _tenant(request)
        return json_response(mistral_view(*await batches.cancel(tenant.id, job_id)))

    # --- OpenAI --------------------------------------------------------------------------------

    async def o_create(request: Request[Any, Any, Any]) -> Response[bytes]:
        return json_response(openai_view(*await _create(request, parse_create_openai)))

    async def o_list(request: Request[Any, Any, Any]) -> Response[bytes]:
        tenant = await _tenant(request)
        q = request.query_params
        jobs = await batches.list_jobs(tenant.id)
        after = q.get("after")
        if after:
            ids = [j.id for j, _ in jobs]
            jobs = jobs[ids.index(after) + 1 :] if after in ids else []
        limit = int_param(q.get("limit"), "limit", 20, 1, 100)
        window = jobs[:limit]
        data = [openai_view(j, c) for j, c in window]
        return json_response(
            {
                "object": "list",
                "data": data,
                "has_more": len(jobs) > limit,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )

    async def o_get(request: Request[Any, Any, Any]) -> Response[bytes]:
        batch_id = str(request.path_params["batch_id"])
        tenant = await _tenant(request)
        return json_response(openai_view(*await batches.get(tenant.id, batch_id)))

    async def o_cancel(request: Request[Any, Any, Any]) -> Response[bytes]:
        batch_id = str(request.path_params["batch_id"])
        tenant = await _tenant(request)
        return json_response(openai_view(*await batches.cancel(tenant.id, batch_id)))

    n = route_path
    return [
        post("/v1/batch/jobs", status_code=200, name=f"mbatch-create:{n}")(m_create),
        get("/v1/batch/jobs", name=f"mbatch-list:{n}")(m_list),
        get("/v1/batch/jobs/{job_id:str}", name=f"mbatch-get:{n}")(m_get),
        post("/v1/batch/jobs/{job_id:str}/cancel", status_code=200, name=f"mbatch-cancel:{n}")(
            m_cancel
        ),
        delete("/v1/batch/jobs/{job_id:str}", status_code=200, name=f"mbatch-delete:{n}")(m_delete),
        post("/v1/batches", status_code=200, name=f"batch-create:{n}")(o_create),
        get("/v1/batches", name=f"batch-list:{n}")(o_list),
        get("/v1/batches/{batch_id:str}", name=f"batch-get:{n}")(o_get),
        post("/v1/batches/{batch_id:str}/cancel", status_code=200, name=f"batch-cancel:{n}")(
            o_cancel
        ),
    ]
