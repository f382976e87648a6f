"""Pages printed by Debian's Chromium from HTML, as a browser or an invoicing system prints
them, rasterised as a scanner or a screenshot gives them (engine served tests).

Chromium lays out what hand-placed text cannot: flex boxes side by side whose lines fall
where the fonts' line heights put them, tables with shaded headers. It is never downloaded:
``.ci/run`` installs Debian's ``chromium``; without it a test skips (fails under ``CI=true``).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

__all__ = ("PRINT_CSS", "chromium_or_skip", "printed_page")

PRINT_CSS = "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
"""Backgrounds printed as they show (Chromium leaves them out of a print by default)."""


def chromium_or_skip() -> str:
    """The Chromium executable; the test skips without one (fails in CI, which installs it)."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but Chromium is not installed (.ci/run installs Debian's chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def printed_page(html: str, dpi: int) -> Image.Image:
    """The first page of ``html`` printed to PDF by Chromium (no header or footer line),
    rendered at ``dpi`` in colour."""
    import pypdfium2 as pdfium

    chromium = chromium_or_skip()
    with tempfile.TemporaryDirectory() as tmp:
        src, pdf = Path(tmp, "page.html"), Path(tmp, "page.pdf")
        src.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={pdf}",
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        doc = pdfium.PdfDocument(io.BytesIO(pdf.read_bytes()))
        try:
            return doc[0].render(scale=dpi / 72).to_pil().convert("RGB")
        finally:
            doc.close()
