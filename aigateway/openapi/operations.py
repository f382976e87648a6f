"""Handler kind → the builder of its OpenAPI operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import api, ops
from .common import SAMPLE_PDF, OperationContext
from .files_batches import FILES_BATCHES

__all__ = ("OPERATIONS", "SAMPLE_PDF", "OperationContext")

OPERATIONS: dict[str, Callable[[OperationContext], dict[str, Any]]] = {
    "ocr": api.ocr,
    "chat": api.chat,
    "embeddings": api.embeddings,
    "models": api.models,
    "model": api.model,
    "healthz": ops.healthz,
    "readyz": ops.readyz,
    "metrics": ops.metrics,
    "admin-usage": ops.admin_usage,
    "playground-preview": ops.preview,
    **FILES_BATCHES,
}
"""Handler kind → operation builder."""
