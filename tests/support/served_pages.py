"""Page images sent to a served gateway's ``/v1/ocr``, several at once (engine served tests)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from difflib import SequenceMatcher
from typing import Any

import httpx
from PIL import Image, ImageFilter

from .server import REPO, GatewayProcess

__all__ = (
    "COMMA_LISTS",
    "GRAINY_PROSE",
    "LOCAL_OCR_CONFIG",
    "encode",
    "found_in_order",
    "mistral_layout",
    "post_ocr",
    "read_all",
    "rendered_and_scanned",
)

LOCAL_OCR_CONFIG = """
[limits]
max_size_upload = 8000000

[ocr_pool]
workers = 2

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
"""
"""The built-in engine as model ``local`` behind the OpenAI-compatible route: a pool of two
workers (the tests send more pages at once), uploads up to 8 MB."""


GRAINY_PROSE = (
    "The individual characters stored in a string can be reached using the index operator, "
    "allowing us to either access or modify information in the middle of a string. A string "
    "may also be processed as a series of raw binary bytes, not necessarily terminated by a "
    "zero valued character.\n\n"
    "Conversions between strings and numbers are offered by the standard library. In many "
    "situations a character array is used where a string object would serve as well, and the "
    "two are easily converted into each other when that is needed.\n\n"
    "Strings are compared character by character, and the first difference decides the order. "
    "Empty strings sort before all others; a string that is a prefix of another sorts before it."
)
"""Three paragraphs of prose (90 words of three letters or more) that the grainy-page tests set
in serif type on grain, askew or as a scan in a PDF."""


COMMA_LISTS = (
    "The terminal drivers include png, jpeg, gif, svg, pdf, postscript, emf, canvas, and several "
    "more, each with options for size, font, colour, and line width. Functions such as sin, cos, "
    "tan, exp, log, and sqrt take real or complex arguments, returning values of the same type, "
    "possibly scaled, shifted, or rounded. The history file, its size, its format, and its "
    "control settings are read at startup, saved at exit, and shared by every session, window, "
    "and script.\n\n"
    "Options may be given on the command line, in the environment, or in an init file, which is "
    "read first, before the data, the macros, and the scripts that follow it."
)
"""Two paragraphs of lists (34 commas, each before a lowercase word): set small on grain, a
comma's tail is cut off by the clean-up and Tesseract reads a full stop."""


def encode(
    img: Image.Image, fmt: str, quality: int = 90, dpi: int | None = None
) -> tuple[str, bytes]:
    """``img`` as a ``(media type, bytes)`` document of a real size (100 KB to 5 MB):
    ``fmt`` is a Pillow format (PNG, JPEG, TIFF); ``dpi`` tags it, else it goes untagged."""
    buf = io.BytesIO()
    opts: dict[str, object] = {"quality": quality} if fmt == "JPEG" else {}
    if dpi is not None:
        opts["dpi"] = (dpi, dpi)
    img.save(buf, format=fmt, **opts)
    data = buf.getvalue()
    assert 100_000 <= len(data) <= 5_000_000, len(data)  # real sizes, not toys
    return f"image/{fmt.lower()}", data


def rendered_and_scanned(page: Image.Image) -> list[tuple[str, bytes]]:
    """``page`` as a renderer gives it (PNG, 300 DPI) and as a scanner does (softened by 0.7
    px, JPEG at quality 85, 300 DPI)."""
    scanned = page.filter(ImageFilter.GaussianBlur(0.7))
    return [encode(page, "PNG", dpi=300), encode(scanned, "JPEG", 85, dpi=300)]


def mistral_layout(url: str, path: object, media: str = "application/pdf") -> dict[str, Any]:
    """What the mistralai SDK parsed of ``path`` sent to ``url`` with tables as HTML and images
    (``tests/support/clients/mistral_layout.py``, run in its own process)."""
    client = REPO / "tests" / "support" / "clients" / "mistral_layout.py"
    out = subprocess.run(
        [sys.executable, str(client), url, str(path), media],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    report: dict[str, Any] = json.loads(out.stdout)
    assert "error" not in report, report
    return report


def post_ocr(gw: GatewayProcess, doc: tuple[str, bytes], model: str = "local") -> httpx.Response:
    """``doc`` (media type, bytes) sent to ``/v1/ocr`` as a data URL; the response as it came."""
    url = f"data:{doc[0]};base64," + base64.b64encode(doc[1]).decode()
    body = {"model": model, "document": {"type": "image_url", "image_url": url}}
    return httpx.post(f"{gw.url}/v1/ocr", json=body, timeout=300)


def read_all(gw: GatewayProcess, docs: list[tuple[str, bytes]], model: str = "local") -> list[str]:
    """Each document's first page's Markdown, all requests at once."""

    def post(doc: tuple[str, bytes]) -> str:
        r = post_ocr(gw, doc, model)
        assert r.status_code == 200, r.text
        return str(r.json()["pages"][0]["markdown"])

    with ThreadPoolExecutor(len(docs)) as ex:
        return list(ex.map(post, docs))


def read_beside_truncated(
    gw: GatewayProcess, docs: list[tuple[str, bytes]], cut: int, keep: float
) -> list[str]:
    """Each document's first page's Markdown, all requests at once, and beside them,
    hostile, ``docs[cut]`` cut off after ``keep`` of its bytes, which must be refused as a
    bad ``document`` (the others' pages still read)."""
    media, data = docs[cut]
    broken_doc = (media, data[: int(len(data) * keep)])
    with ThreadPoolExecutor(len(docs) + 1) as ex:
        *answers, broken = ex.map(lambda doc: post_ocr(gw, doc), [*docs, broken_doc])
    assert broken.status_code in (400, 422), broken.text
    assert broken.json()["error"]["param"] == "document", broken.text
    for r in answers:
        assert r.status_code == 200, r.text
    return [str(r.json()["pages"][0]["markdown"]) for r in answers]


def found_in_order(text: str, words: list[str]) -> float:
    """Share of ``words`` read, in order, in ``text`` (the longest common subsequence of the
    two word lists; case aside: 11 px print's ``l`` and ``L`` differ by a pixel or two)."""
    got = text.lower().split()
    blocks = SequenceMatcher(None, [w.lower() for w in words], got, autojunk=False)
    return sum(b.size for b in blocks.get_matching_blocks()) / len(words)
