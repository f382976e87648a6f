"""Config sections of the files store and batch jobs (``[files]``, ``[batches]``).

Kept beside :mod:`aigateway.config` (which re-exports them) so that module stays small; the
same rules apply: strict Structs, documented fields, errors naming the file and key path.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from ..errors import ConfigError

__all__ = ("BatchesConfig", "FilesConfig", "validate_features")


class _Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Strict base: a typo in the config is an error, not a silently ignored key."""


class FilesConfig(_Strict, frozen=True):
    """``[files]``: the files store behind ``/v1/files`` (uploads, batch inputs and outputs)."""

    enabled: bool = True
    """Serve ``/v1/files`` (and let OCR read ``{"type": "file", "file_id": ...}``)."""
    backend: Literal["local", "s3"] = "local"
    """Where file bytes live: a local directory, or an S3-compatible bucket (several replicas)."""
    directory: str = "aigateway-data"
    """Local directory (relative paths are relative to the config file's folder): file bytes
    with the ``local`` backend, batch job state with the ``memory`` state backend, and the
    generated signing key of a single node. Created on first use."""
    retention_days: float = 30.0
    """Days an uploaded or generated file is kept; 0 keeps files until they are deleted."""
    signing_key: str | None = None
    """HMAC key of signed file URLs (``${VAR}``, at least 16 characters). Required with
    ``backend = "s3"`` (replicas sharing storage must sign alike); a single node generates one
    and keeps it in ``directory``."""
    max_url_expiry_hours: int = 168
    """Longest lifetime a signed URL may be given (``GET /v1/files/{id}/url?expiry=H``)."""
    public_url: str | None = None
    """Base URL written into signed URLs (e.g. ``https://gw.example``); default: the request's."""
    s3_endpoint: str | None = None
    """S3-compatible endpoint URL (``http://minio:9000``); absent means AWS's own."""
    s3_bucket: str | None = None
    """Bucket name (required with ``backend = "s3"``; it must exist)."""
    s3_region: str = "us-east-1"
    """Region the client signs requests for."""
    s3_access_key: str | None = None
    """Access key id (``${VAR}``); absent: the standard AWS credential chain."""
    s3_secret_key: str | None = None
    """Secret access key (``${VAR}``); never logged."""
    s3_prefix: str = ""
    """Key prefix inside the bucket, to share one bucket between deployments."""


class BatchesConfig(_Strict, frozen=True):
    """``[batches]``: batch jobs (``/v1/batch/jobs``, ``/v1/batches``) run by every replica."""

    enabled: bool = True
    """Serve the batch endpoints and run this replica's batch runner."""
    ocr_share: float = 0.5
    """Share of the local OCR pool's workers batch lines may occupy at once (at least one
    line); interactive requests keep the rest."""
    upstream_concurrency: int = 4
    """Batch lines calling upstreams (chat, embeddings, remote OCR) at once on this replica."""
    claim_idle: float = 60.0
    """Seconds a line may sit unacknowledged with a replica before another one takes it over
    (a replica refreshes the lines it is still working on, so only a dead one loses them)."""
    max_lines: int = 50_000
    """Lines one job may have."""
    max_attempts: int = 3
    """Tries of one line on transient failures (upstream 429/5xx, local pool saturated)."""
    webhook_url: str | None = None
    """Called with a signed POST when a job ends (through the guarded fetcher)."""
    webhook_secret: str | None = None
    """HMAC-SHA256 key of the webhook's ``x-aigateway-signature`` header (``${VAR}``)."""


def validate_features(src: str, f: FilesConfig, b: BatchesConfig) -> None:
    """Cross-field checks of ``[files]`` and ``[batches]``.

    Raises:
        ConfigError: naming ``src`` and the key path.
    """
    if f.retention_days < 0:
        raise ConfigError(f"{src}: $.files.retention_days: expected a number of days >= 0")
    if not 1 <= f.max_url_expiry_hours <= 24 * 365:
        raise ConfigError(f"{src}: $.files.max_url_expiry_hours: expected 1 to 8760 hours")
    if f.signing_key is not None and len(f.signing_key) < 16:
        raise ConfigError(f"{src}: $.files.signing_key: expected at least 16 characters")
    if f.enabled and f.backend == "s3" and f.signing_key is None:
        raise ConfigError(
            f'{src}: $.files.signing_key: required with backend = "s3" (replicas sharing '
            "storage must sign URLs alike)"
        )
    if f.backend == "s3" and not f.s3_bucket:
        raise ConfigError(f'{src}: $.files.s3_bucket: required with backend = "s3"')
    if f.public_url is not None and not f.public_url.startswith(("http://", "https://")):
        raise ConfigError(f"{src}: $.files.public_url: expected an http(s) URL")
    if b.enabled and not f.enabled:
        raise ConfigError(f"{src}: $.batches.enabled: batch jobs need [files] enabled = true")
    if not 0.0 < b.ocr_share <= 1.0:
        raise ConfigError(f"{src}: $.batches.ocr_share: expected a share in (0, 1]")
    for key in ("upstream_concurrency", "max_lines", "max_attempts"):
        if getattr(b, key) < 1:
            raise ConfigError(f"{src}: $.batches.{key}: expected an integer >= 1")
    if b.claim_idle <= 0:
        raise ConfigError(f"{src}: $.batches.claim_idle: expected seconds > 0")
    if b.webhook_url is not None and not b.webhook_url.startswith(("http://", "https://")):
        raise ConfigError(f"{src}: $.batches.webhook_url: expected an http(s) URL")
    if b.webhook_url is not None and not b.webhook_secret:
        raise ConfigError(f"{src}: $.batches.webhook_secret: required with webhook_url")
