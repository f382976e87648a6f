"""Batch jobs (Mistral ``/v1/batch/jobs``, OpenAI ``/v1/batches``) run by the replicas.

:func:`build_batch_service` wires a store, a queue and a runner from the config; :mod:`.router`
serves both APIs over the one :class:`BatchService`.
"""

from __future__ import annotations

from .execute import BudgetGate, LineGate, Services, WaitForLimit
from .service import BatchService, build_batch_service

__all__ = (
    "BatchService",
    "BudgetGate",
    "LineGate",
    "Services",
    "WaitForLimit",
    "build_batch_service",
)
