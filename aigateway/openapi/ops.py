"""The operations endpoints (health, readiness, metrics, usage) and the playground's preview."""

from __future__ import annotations

from typing import Any

from .common import OperationContext
from .common import errors as _errors
from .common import ok as _ok
from .common import schema as _schema

__all__ = ("admin_usage", "healthz", "metrics", "preview", "readyz")


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
            "description": "Config loaded, OCR engines warm, limits servable: `ready`. "
            "`degraded` (200) serves, with `reasons`; `not ready` is a 503.",
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
        "summary": "Usage, cost and budgets per tenant and entity (admin key)",
        "description": "Needs `Authorization: Bearer <admin_key>`; 404 when no `admin_key` is "
        "configured. Counters are summed across replicas (Redis); `cost` is in the currency of "
        "the prices, beside the exact integer `cost_nanos` (billionths) it comes from. "
        "`budgets` shows each tenant's budget in its current period.",
        "security": [{"bearer": []}],
        "parameters": [
            {
                "name": "tenant",
                "in": "query",
                "required": False,
                "description": "Only this tenant.",
                "schema": {"type": "string"},
            },
            {
                "name": "day",
                "in": "query",
                "required": False,
                "description": "Only this UTC day (`YYYY-MM-DD`); all time without it.",
                "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
            },
        ],
        "responses": {
            "200": _ok("Usage.", {"application/json": {"schema": _schema("UsageReport")}}),
            "400": {"$ref": "#/components/responses/BadRequest"},
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
