"""A test-only OCR provider that reports what reached it (bytes digest, type, options).

Transport tests use it to prove that every input form delivers the same document. It is
registered per app through the public API: :func:`echo_app` builds an app whose
``provider = "echo"`` entities it serves (``create_app(..., ocr_providers=...)``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any, ClassVar

from litestar import Litestar

from aigateway import create_app
from aigateway.config import Settings, parse_config
from aigateway.ocr.protocol import OcrPage, OcrResult
from aigateway.ocr.providers.base import OFFICE, PDF_AND_IMAGES, OcrJob, OcrProvider

__all__ = ("ECHO_CONFIG", "EchoOcrProvider", "echo_app", "echo_settings")

ECHO_CONFIG = """
[limits]
max_size_upload = 65536

[[ocr_models]]
id = "echo"
provider = "echo"

[[ocr_models]]
id = "echo2"
provider = "echo"
model = "second-model"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["echo", "echo2"]

[[routes]]
path = "/scan"
plugin = "ocr"
refs = ["echo2"]
max_size_upload = 1024
"""


class EchoOcrProvider(OcrProvider):
    """Answers one page whose markdown is a JSON summary of the job."""

    default_model = "echo-1"
    accepted_types = PDF_AND_IMAGES | OFFICE
    calls: ClassVar[list[str]] = []
    """Entity ids of every call, across instances (tests clear it)."""
    delay: ClassVar[float] = 0.0
    """Seconds each call takes (concurrency tests raise it)."""

    async def process(self, job: OcrJob) -> OcrResult:
        type(self).calls.append(self.id)
        if type(self).delay:
            await asyncio.sleep(type(self).delay)
        doc = job.document
        summary = {
            "sha256": hashlib.sha256(doc.blob.read()).hexdigest() if doc else None,
            "media_type": doc.media_type if doc else None,
            "size": doc.size if doc else None,
            "url": job.url,
            "model": self.upstream_model(job.model),
            "pages": list(job.options.pages) if job.options.pages is not None else None,
            "pdf_password": job.options.pdf_password,
            "include_image_base64": job.options.include_image_base64,
        }
        return OcrResult(
            model=self.upstream_model(job.model),
            pages=[OcrPage(index=0, markdown=json.dumps(summary, sort_keys=True))],
        )


def echo_settings(extra: str = "", top: str = "", **env: Any) -> Settings:
    """The echo config plus ``extra`` TOML tables (``top``: top-level keys, before tables)."""
    return parse_config(top + ECHO_CONFIG + extra, env={k: str(v) for k, v in env.items()})


def echo_app(settings: Settings) -> Litestar:
    """The app of ``settings``, its ``provider = "echo"`` entities served by the echo provider."""
    return create_app(settings, ocr_providers={"echo": EchoOcrProvider})
