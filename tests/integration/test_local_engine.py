"""The built-in OCR engine: provider, text-layer checks, Markdown assembly.

Providers are exercised directly (``OcrRegistry(...).providers["local"].process``), no HTTP; a pool of two
worker processes per test keeps the file quick. The pool itself is tested in test_ocr_pool.py.
"""

from __future__ import annotations

import io
import re
import time
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image

from aigateway.blob import Blob
from aigateway.config import parse_config
from aigateway.errors import (
    BadRequestError,
    ConfigError,
    PayloadTooLargeError,
    UnprocessableDocumentError,
)
from aigateway.ocr.engine import page as worker
from aigateway.ocr.engine import textlayer
from aigateway.ocr.engine.markdown import join_lines, paragraphs_to_markdown
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine.worker import Source
from aigateway.ocr.protocol import Document, OcrOptions, OcrResult
from aigateway.ocr.providers.base import OcrJob
from aigateway.ocr.registry import OcrRegistry

from ..support.docgen import (
    encrypted_pdf,
    png_header,
    render_text,
    scanned_pdf,
    text_pdf,
    text_png,
    tiff_frames,
)

TEXT = (
    "The quick brown fox jumps over the lazy dog while optical character recognition turns "
    "pictures of printed pages into text.\n\n"
    "A second paragraph follows with numbers 12345 and 2024, and it ends here."
)
GARBAGE = "xqzt wrkp plmnv zzkq trwx bcdf ghjk lmnp qrst vwxz kkdd pprt zxcv bnml"


def words(text: str) -> list[str]:
    """Lowercase words, punctuation dropped: what a reader would check."""
    return re.findall(r"[a-z0-9]+", text.lower())


def make_registry(options: dict[str, Any] | None = None, **pool: Any) -> OcrRegistry:
    cfg: dict[str, Any] = {
        "ocr_pool": {"workers": 2, **pool},
        "ocr_models": [{"id": "local", "provider": "local", "options": options or {}}],
    }
    return OcrRegistry(parse_config(cfg))


shared_loop = pytest.mark.asyncio(loop_scope="module")
"""Tests using the module's shared ``registry`` (one pool for the module) run on its loop."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def registry() -> AsyncIterator[OcrRegistry]:
    reg = make_registry()
    await reg.start()
    yield reg
    await reg.aclose()


def job(data: bytes, media_type: str, **options: Any) -> OcrJob:
    doc = Document(Blob.from_bytes(data), media_type)
    return OcrJob(document=doc, url=None, model=None, options=OcrOptions(**options))


async def ocr(reg: OcrRegistry, data: bytes, media_type: str, **options: Any) -> OcrResult:
    return await reg.providers["local"].process(job(data, media_type, **options))


# --- reading documents ------------------------------------------------------------------------


@shared_loop
async def test_text_layer_pdf_is_read_exactly(registry: OcrRegistry) -> None:
    import pypdfium2 as pdfium

    data = text_pdf([TEXT, "Page two has its own text."])
    result = await ocr(registry, data, "application/pdf")
    doc = pdfium.PdfDocument(data)
    own = [textlayer.normalize(doc[i].get_textpage().get_text_range()) for i in range(2)]
    assert [p.markdown for p in result.pages] == own
    assert words(result.pages[0].markdown) == words(TEXT)
    assert result.model == "local-auto"
    assert result.doc_size_bytes == len(data)
    dims = result.pages[0].dimensions
    assert dims is not None
    # A4 at the default 300 DPI.
    assert (dims.dpi, dims.width, dims.height) == (300, 2479, 3508)


@shared_loop
async def test_scanned_pdf_page_is_ocrd(registry: OcrRegistry) -> None:
    result = await ocr(registry, scanned_pdf([TEXT]), "application/pdf")
    page = result.pages[0]
    assert words(page.markdown) == words(TEXT)
    # Two paragraphs in, two paragraphs out (blank line between), lines joined inside each.
    assert len(page.markdown.split("\n\n")) == 2
    assert "\n" not in page.markdown.split("\n\n")[0]


@shared_loop
async def test_png_is_ocrd_with_its_pixel_dimensions(registry: OcrRegistry) -> None:
    data = text_png(TEXT)
    width, height = Image.open(io.BytesIO(data)).size
    result = await ocr(registry, data, "image/png")
    assert words(result.pages[0].markdown) == words(TEXT)
    dims = result.pages[0].dimensions
    assert dims is not None
    assert (dims.width, dims.height) == (width, height)


@shared_loop
async def test_garbage_invisible_text_layer_falls_back_to_ocr(registry: OcrRegistry) -> None:
    data = scanned_pdf([TEXT], hidden_text=[GARBAGE])
    result = await ocr(registry, data, "application/pdf")
    md = result.pages[0].markdown
    assert "xqzt" not in md
    assert words(md) == words(TEXT)


@shared_loop
async def test_force_ocr_ignores_a_good_text_layer(registry: OcrRegistry) -> None:
    # The text layer says one thing, the OCR of the rendering reads the same words: force_ocr
    # must go through rendering, visible in the line structure (paragraph joined, not \n lines).
    data = text_pdf([TEXT], size=14)
    plain = await ocr(registry, data, "application/pdf")
    forced = await ocr(registry, data, "application/pdf", force_ocr=True)
    assert "\n" in plain.pages[0].markdown.split("\n\n")[0]
    assert words(forced.pages[0].markdown) == words(TEXT)
    assert forced.pages[0].markdown != plain.pages[0].markdown


@shared_loop
@pytest.mark.parametrize("angle", [90, 180, 270])
async def test_rotated_image_is_read_upright(registry: OcrRegistry, angle: int) -> None:
    result = await ocr(registry, text_png(TEXT, rotate=angle), "image/png")
    assert words(result.pages[0].markdown) == words(TEXT)


@pytest.mark.parametrize("angle", [90, 180])
def test_orientation_detection_turns_the_page(angle: int) -> None:
    # In-process (same code as the workers) to see the rotation the engine applied.
    src = Source("image/png", data=text_png(TEXT, rotate=angle))
    page = worker.read_page(src, 0, EngineOptions(), False)
    assert page.rotation == (360 - angle) % 360
    assert words(page.markdown) == words(TEXT)


@shared_loop
async def test_sideways_scan_in_pdf_is_read(registry: OcrRegistry) -> None:
    result = await ocr(registry, scanned_pdf([TEXT], rotate_image=90), "application/pdf")
    assert words(result.pages[0].markdown) == words(TEXT)


@shared_loop
async def test_page_selection_keeps_original_indexes(registry: OcrRegistry) -> None:
    data = text_pdf(["Alpha page zero.", "Bravo page one.", "Charlie page two."])
    result = await ocr(registry, data, "application/pdf", pages=(2, 0))
    assert [p.index for p in result.pages] == [2, 0]
    assert [p.markdown for p in result.pages] == ["Charlie page two.", "Alpha page zero."]
    with pytest.raises(BadRequestError, match="out of range"):
        await ocr(registry, data, "application/pdf", pages=(3,))


@shared_loop
async def test_multi_frame_tiff_gives_one_page_per_frame(registry: OcrRegistry) -> None:
    data = tiff_frames(["First frame says hello.", "Second frame says goodbye."])
    result = await ocr(registry, data, "image/tiff")
    assert [p.index for p in result.pages] == [0, 1]
    assert words(result.pages[0].markdown) == ["first", "frame", "says", "hello"]
    assert words(result.pages[1].markdown) == ["second", "frame", "says", "goodbye"]


@shared_loop
async def test_large_document_goes_to_workers_by_path(registry: OcrRegistry, tmp_path: Any) -> None:
    # Above the inline threshold the blob is spooled and workers open the file themselves.
    pages = [f"Page number {i} of a long document. " * 40 for i in range(3)]
    data = text_pdf(pages) + b"%" + b"x" * 1_100_000 + b"\n"  # trailing junk pdfium ignores
    result = await ocr(registry, data, "application/pdf", pages=(1,))
    assert result.pages[0].index == 1
    assert words(result.pages[0].markdown)[:4] == ["page", "number", "1", "of"]


# --- encrypted and broken documents -----------------------------------------------------------


@shared_loop
async def test_encrypted_pdf_with_and_without_password(registry: OcrRegistry) -> None:
    data = encrypted_pdf("The secret text of an encrypted document.", "s3cret")
    ok = await ocr(registry, data, "application/pdf", pdf_password="s3cret")
    assert ok.pages[0].markdown == "The secret text of an encrypted document."
    with pytest.raises(UnprocessableDocumentError, match="encrypted") as missing:
        await ocr(registry, data, "application/pdf")
    assert missing.value.status_code == 422
    assert missing.value.param == "pdf_password"
    with pytest.raises(UnprocessableDocumentError, match="wrong"):
        await ocr(registry, data, "application/pdf", pdf_password="nope")


@shared_loop
async def test_corrupt_pdf_is_422_with_a_clear_message(registry: OcrRegistry) -> None:
    with pytest.raises(UnprocessableDocumentError, match="not a readable PDF") as exc:
        await ocr(registry, b"%PDF-1.7\n1 0 obj << /Type /Catalog garbage", "application/pdf")
    assert exc.value.status_code == 422


@shared_loop
async def test_truncated_png_is_422_with_a_clear_message(registry: OcrRegistry) -> None:
    data = text_png(TEXT)
    with pytest.raises(UnprocessableDocumentError, match="could not be decoded") as exc:
        await ocr(registry, data[: len(data) // 2], "image/png")
    assert exc.value.status_code == 422
    assert "truncated" in exc.value.message


@shared_loop
async def test_huge_png_header_is_refused_without_decoding(registry: OcrRegistry) -> None:
    data = png_header(40000, 40000)
    assert len(data) < 2000
    started = time.monotonic()
    with pytest.raises(PayloadTooLargeError, match="40000x40000") as exc:
        await ocr(registry, data, "image/png")
    assert exc.value.status_code == 413
    assert time.monotonic() - started < 5


def test_huge_png_header_probe_allocates_nothing() -> None:
    # The worker's first step, in-process, under tracemalloc: 1.6 GB would show.
    src = Source("image/png", data=png_header(40000, 40000))
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLargeError):
            worker.probe(src, 50_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "key"),
    [
        pytest.param({"languages": ["xxx"]}, "languages", id="missing-traineddata"),
        pytest.param({"languages": "eng"}, "languages", id="not-a-list"),
        pytest.param({"dpi": 5000}, "dpi", id="dpi-range"),
        pytest.param({"engine": "magic"}, "engine", id="engine"),
        pytest.param({"detect_orientation": "yes"}, "detect_orientation", id="bool"),
        pytest.param({"deskew": 1}, "deskew", id="deskew-bool"),
        pytest.param({"sharpen": "on"}, "sharpen", id="sharpen-bool"),
        pytest.param({"reread_below": 101}, "reread_below", id="reread-range"),
        pytest.param({"reread_below": True}, "reread_below", id="reread-bool"),
        pytest.param({"rescale": True}, "rescale", id="rescale-bool"),
        pytest.param({"rescale": "shrink"}, "rescale", id="rescale-value"),
        pytest.param({"colour": True}, "colour", id="unknown-key"),
    ],
)
def test_bad_options_are_config_errors_naming_the_key(options: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"$.ocr_models[0].options.{key}")):
        make_registry(options)


async def test_rapidocr_engine_reads_a_page() -> None:
    from aigateway.ocr.engine import rapid

    why = rapid.available()
    if why is not None:
        pytest.skip(why)
    reg = make_registry({"engine": "rapidocr"})
    await reg.start()
    try:
        result = await ocr(reg, text_png(TEXT), "image/png")
        assert result.model == "local-rapidocr"
        got, want = words(result.pages[0].markdown), words(TEXT)
        assert sum(a == b for a, b in zip(got, want, strict=False)) >= 0.9 * len(want)
    finally:
        await reg.aclose()


# --- pure parts -------------------------------------------------------------------------------


def test_text_layer_assessment() -> None:
    def layer(text: str, images: int = 0, coverage: float = 0.0) -> textlayer.PageLayer:
        return textlayer.PageLayer(text, images, coverage, invisible_text=False)

    assert textlayer.assess(layer(TEXT)) is None
    assert textlayer.assess(layer("Página de prueba: él comió paella en Valencia. " * 3)) is None
    assert textlayer.assess(layer("Short title")) is None  # little text, nothing else on page
    assert textlayer.assess(layer("Scan", images=1, coverage=0.9)) == "too little text"
    assert textlayer.assess(layer("")) == "too little text"
    assert textlayer.assess(layer(GARBAGE)) == "implausible words"
    code = '<xsl:value-of select="$magnitude div 25.4 * 72.0"/> <xsl:when test="$units"> ' * 4
    assert textlayer.assess(layer(code)) is None
    assert textlayer.normalize("Parame\ufffeters here\r\nnext line  \r\n") == (
        "Parameters here\nnext line"
    )
    assert textlayer.assess(layer("\ufffd\ufffd\x01\x02 " * 10)) == "unmapped glyphs"
    assert textlayer.assess(layer("!#$%&'()*+ ,-./:;<=>? " * 5)) == "mostly symbols"
    # A table of contents: mostly dot leaders, all of them typography.
    toc = "".join(
        f"{k} Section title {k} . . . . . . . . . . . . . . . . {k * 7}\n" for k in range(9)
    )
    assert textlayer.assess(layer(toc)) is None
    assert textlayer.assess(layer(toc.replace(" . ", "..."))) is None
    # An index of identifiers in camelCase is text, not garbage.
    names = "callNextMethod canCoerce occupationalStatus PyTessBaseAPI getTextRange isOpen "
    assert textlayer.assess(layer(f"{names}. . . . . . 12\n" * 4)) is None
    mixed = "xQzK bRtMa wPlVe qWzXv kLmNo tRwXy pQrSt vWxZa hJkLm"  # not camelCase
    assert textlayer.assess(layer(f"{mixed} " * 3)) == "implausible words"
    soup = "!#$%&'()*+ ,-./:;<=>? . . . . . . 12\n"  # symbol soup keeps failing beside leaders
    assert textlayer.assess(layer(soup * 5)) == "mostly symbols"


def test_markdown_joins_lines_and_rejoins_hyphens() -> None:
    assert join_lines(["The infor-\n", "mation is  here\n"]) == "The information is here"
    assert join_lines(["A well-", "Known name"]) == "A well- Known name"
    assert join_lines(["Count 1990-", "2000"]) == "Count 1990- 2000"
    assert paragraphs_to_markdown([["one", "two"], [], ["three"]]) == "one two\n\nthree"
    # A URL's scheme read apart from its slashes (typewriter fonts) is put back together.
    assert join_lines(["see (https: //example.org/a) and", "FTP: //host"]) == (
        "see (https://example.org/a) and FTP://host"
    )
    assert join_lines(["ratio: // not a scheme", "note: see"]) == "ratio: // not a scheme note: see"
    # A hex literal's zero read as "O" is put back; words that start "Ox" are left alone.
    assert join_lines(["at Oxbea0d0cc (Ox1F)", "Oxford Oxide Oxbed"]) == (
        "at 0xbea0d0cc (0x1F) Oxford Oxide Oxbed"
    )


def test_sixteen_bit_and_transparent_images_are_read() -> None:
    img = render_text("Sixteen bit grayscale text", width=900, size=40)
    deep = img.convert("I").point(lambda v: v * 257).convert("I;16")
    # 12-bit scanner data in a 16-bit file (0-4095), and 8-bit data in one (0-255: divided by
    # 256, a black page read as blank): each scaled by its own range.
    twelve = img.convert("I").point(lambda v: v * 16).convert("I;16")
    eight = img.convert("I").convert("I;16")
    # Black text on a fully transparent background: the paper must come out white.
    alpha = Image.new("RGBA", img.size, (0, 0, 0, 0))
    alpha.putalpha(img.point(lambda v: 255 - v))
    # And white text on one (a dark-theme screenshot): on white it would vanish.
    light = Image.new("RGBA", img.size, (255, 255, 255, 0))
    light.putalpha(img.point(lambda v: 255 - v))
    for picture in (deep, twelve, eight, alpha, light):
        buf = io.BytesIO()
        picture.save(buf, format="PNG")
        src = Source("image/png", data=buf.getvalue())
        page = worker.read_page(src, 0, EngineOptions(), False)
        assert words(page.markdown) == ["sixteen", "bit", "grayscale", "text"]
