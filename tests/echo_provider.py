"""A test-only OCR provider that reports what reached it (bytes digest, type, options).

Transport tests use it to prove that every input form delivers the same document; it is
registered in place of a real provider name with ``monkeypatch`` (see ``echo_app``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import ClassVar

from aigateway.ocr.providers.base import OcrJob, OcrProvider
from aigateway.ocr.schemas import OcrPage, OcrResult


class EchoOcrProvider(OcrProvider):
    """Answers one page whose markdown is a JSON summary of the job."""

    default_model = "echo-1"
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
