"""App factory for multi-worker serving: each worker reads ``$AIGATEWAY_CONFIG``.

With ``--workers N`` every worker process runs its own app and its own local OCR pool; an
automatic pool size (``[ocr_pool] workers = 0``) is divided among the N server workers so the
machine's cores are shared, not oversubscribed N times.
"""

from __future__ import annotations

import os

import msgspec
from litestar import Litestar

from .. import cpus
from ..config import Settings, load_config
from .app import build_app

__all__ = ("app", "per_worker_settings")


def per_worker_settings(settings: Settings, server_workers: int) -> Settings:
    """``settings`` with an automatic OCR pool size split across ``server_workers``.

    Batch jobs on the memory backend live in one process (its queue, its job directory), so
    with several server workers they are off unless ``[state]`` is Redis (see
    :func:`batches_off_reason`).
    """
    if server_workers > 1 and batches_off_reason(settings, server_workers):
        off = msgspec.structs.replace(settings.batches, enabled=False)
        settings = msgspec.structs.replace(settings, batches=off)
    if settings.ocr_pool.workers != 0 or server_workers <= 1:
        return settings
    share = max(1, cpus.usable() // server_workers)
    pool = msgspec.structs.replace(settings.ocr_pool, workers=share)
    return msgspec.structs.replace(settings, ocr_pool=pool)


def batches_off_reason(settings: Settings, server_workers: int) -> str | None:
    """Why batch jobs are off with ``server_workers`` processes, or ``None``."""
    if server_workers > 1 and settings.batches.enabled and settings.state.backend == "memory":
        return (
            f"batch jobs are off with {server_workers} server workers and the memory state "
            'backend (one process owns the job queue); set [state] backend = "redis" to run '
            "them on every worker"
        )
    return None


def app() -> Litestar:
    """Build this worker's app from the config file named by ``AIGATEWAY_CONFIG``."""
    settings = load_config(os.environ.get("AIGATEWAY_CONFIG", "config.toml"))
    workers = int(os.environ.get("AIGATEWAY_SERVER_WORKERS", "1"))
    return build_app(per_worker_settings(settings, workers))
