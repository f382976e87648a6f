"""Operations endpoints: ``/healthz``, ``/readyz``, ``/metrics`` and ``/admin/usage``.

``/healthz`` says the process answers; ``/readyz`` that the config is loaded, the OCR engines
are warm, the local OCR pool can serve and limits can be served: 200 ``ready``; 200 ``degraded``
with ``reasons`` (serving: the state backend is unreachable and ``fail_open`` serves without
limits); or 503 ``not ready`` with ``reasons`` (the local OCR pool has no live worker, its
workers die at start, restart in a storm, or it is stopping; or the state backend is unreachable
and ``fail_open = false`` refuses limited requests). Load balancers should probe ``/readyz``.
``/admin/usage`` needs the ``admin_key`` (a Bearer key, compared by digest like tenant keys); it
answers 503 when the state backend (Redis) cannot be read. It sums usage per tenant and entity
(``?tenant=`` one tenant, ``?day=YYYY-MM-DD`` one UTC day) with each ``cost`` beside its exact
``cost_nanos``, and where each tenant's budget stands.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler

from ..errors import (
    AuthenticationError,
    BadRequestError,
    GatewayError,
    NotFoundError,
    ServiceUnavailableError,
)
from ..http.metrics import Metrics
from ..ocr.registry import OcrRegistry
from ..tenancy.auth import Tenant
from ..tenancy.cost import NANOS
from ..tenancy.quotas import Quotas
from ..tenancy.usage import UsageStore

__all__ = ("OpsDeps", "ops_handlers")

_encoder = msgspec.json.Encoder()
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class OpsDeps:
    """What the operations endpoints read: the app's parts they report on."""

    source: str
    """Where the config came from (``/readyz`` shows it)."""
    admin_key: str | None
    """``admin_key`` from config: a ``sha256:`` digest or the key; ``None`` disables admin."""
    ocr: OcrRegistry
    quotas: Quotas
    metrics: Metrics
    usage: UsageStore
    logger: Any
    tenants: Mapping[str, Tenant] = dataclasses.field(default_factory=dict)
    """The configured tenants (their budgets are reported)."""


def _admin_digest(key: str | None) -> bytes | None:
    if not key:
        return None
    if key.startswith("sha256:"):
        return bytes.fromhex(key[7:])
    return hashlib.sha256(key.encode()).digest()


def ops_handlers(deps: OpsDeps) -> list[HTTPRouteHandler]:
    """The app-level operations handlers."""
    admin = _admin_digest(deps.admin_key)

    async def healthz() -> Response[bytes]:
        return Response(b'{"status":"ok"}', media_type="application/json")

    async def readyz() -> Response[bytes]:
        checks: dict[str, Any] = {"config": deps.source}
        ok = True
        engines = {}
        for eid, provider in deps.ocr.providers.items():
            ready = getattr(provider, "ready", None)
            state = True if ready is None else bool(ready() if callable(ready) else ready)
            engines[eid] = "ready" if state else "warming"
            ok = ok and state
        checks["ocr_models"] = engines
        reasons: list[str] = []
        pool = deps.ocr.pool
        if pool is not None:
            # The local engine's workers: none alive, dying at start, a restart storm, stopping.
            pool_status = pool.status()
            checks["ocr_pool"] = pool_status.as_dict()
            if not pool_status.ready:
                ok = False
                reasons.append(pool_status.detail)
        limits = await deps.quotas.readiness()
        checks["state"] = limits.check
        ok = ok and limits.serving
        # 200 "degraded": serving, but without something (limits, with fail_open); 503: not.
        if limits.reason:
            reasons.append(limits.reason)
        status = "not ready" if not ok else "degraded" if reasons else "ready"
        body = {"status": status, "reasons": reasons, "checks": checks}
        return Response(
            _encoder.encode(body), status_code=200 if ok else 503, media_type="application/json"
        )

    async def metrics() -> Response[str]:
        return Response(deps.metrics.render(), media_type="text/plain; version=0.0.4")

    async def usage(request: Request[Any, Any, Any]) -> Response[bytes]:
        if admin is None:
            raise NotFoundError("the admin endpoints are disabled (set admin_key in config)")
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        digest = hashlib.sha256(key.strip().encode()).digest()
        if scheme.lower() != "bearer" or not hmac.compare_digest(digest, admin):
            raise AuthenticationError(
                "the admin endpoints need the admin key", param="authorization"
            )
        tenant = request.query_params.get("tenant")
        day = request.query_params.get("day")
        if day is not None and not _DAY.fullmatch(day):
            raise BadRequestError("`day` must be a UTC date written YYYY-MM-DD", param="day")
        try:
            snapshot = await deps.usage.snapshot(tenant, day)
            budgets = {}
            for tid, t in deps.tenants.items():
                if tenant is None or tid == tenant:
                    status = await deps.quotas.budget_status(t)
                    if status is not None:
                        budgets[tid] = status
        except GatewayError:
            raise
        except Exception as exc:  # the backend's own errors (redis-py's are not ours to import)
            deps.logger.warning("usage snapshot failed", error=type(exc).__name__)
            raise ServiceUnavailableError(
                f"usage is unavailable: the {deps.quotas.backend.name} state backend cannot be "
                "reached",
                code="state_unavailable",
                retry_after=5.0,
            ) from None
        data: dict[str, dict[str, dict[str, Any]]] = snapshot
        for entities in data.values():
            for counters in entities.values():
                # A number for dashboards; `cost_nanos` is the exact integer it comes from.
                counters["cost"] = counters.get("cost_nanos", 0) / NANOS
        report: dict[str, Any] = {"object": "usage", "data": data, "budgets": budgets}
        if day is not None:
            report["day"] = day
        return Response(_encoder.encode(report), media_type="application/json")

    return [
        get("/healthz", name="healthz")(healthz),
        get("/readyz", name="readyz")(readyz),
        get("/metrics", name="metrics")(metrics),
        get("/admin/usage", name="admin-usage")(usage),
    ]
