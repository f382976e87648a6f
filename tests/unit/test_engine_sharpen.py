"""Pages with soft glyph edges are read from a sharpened copy (``sharpen``).

Blur, JPEG compression and the interpolation of an enlarged low-resolution page all soften
glyph edges, and Tesseract's binarisation then merges or breaks strokes. The reader sharpens
what Tesseract sees (after any enlarging) when the page is not crisp; crisp pages, and pages
read with ``sharpen = false``, are read as they are.
"""

from __future__ import annotations

import importlib.util
import io
from collections import Counter
from collections.abc import Callable
from itertools import pairwise

from PIL import Image, ImageFilter

from aigateway.ocr.engine import preprocess, textsize
from aigateway.ocr.engine.compose import compose
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine.reader import read_image

from ..support.docgen import noise, render_text
from ..support.server import REPO

PROSE = " ".join(
    [
        "Each worker reads one page at a time; a page that times out is answered with a clear "
        "error, and uploads beyond the memory limit are spooled to disk (see "
        "limits.max_size_upload = 8000000)."
    ]
    * 8
)


def _levenshtein() -> Callable[[str, str], int]:
    """The bench's edit distance (``bench/scoring.py``, not a package: loaded from its file)."""
    spec = importlib.util.spec_from_file_location("bench_scoring", REPO / "bench" / "scoring.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.levenshtein  # type: ignore[no-any-return]


def _errors(text: str) -> int:
    """Character edit distance from :data:`PROSE` to ``text``, whitespace runs as one space
    and Markdown's escapes dropped (difflib's longest-match-first alignment goes astray on
    repeated text, so plain Levenshtein)."""
    ref, hyp = " ".join(PROSE.split()), " ".join(text.replace("\\", "").split())
    return _levenshtein()(ref, hyp)


def _soft_page() -> Image.Image:
    """Small print (13 px at 150 DPI), blurred and saved as a JPEG: a poor office scan."""
    page = render_text(PROSE, size=13, width=1275, margin=75, min_height=1650)
    buf = io.BytesIO()
    page.filter(ImageFilter.GaussianBlur(1.1)).save(buf, format="JPEG", quality=40)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def _read(img: Image.Image, **options: object) -> tuple[str, bool]:
    reading = read_image(img, 150, EngineOptions(engine="tesseract", **options))  # type: ignore[arg-type]
    return compose(reading.items, (), None)[0], reading.sharpened


def test_sharpening_steepens_a_blurred_edge() -> None:
    edge = Image.new("L", (64, 16), 255)
    edge.paste(0, (0, 0, 32, 16))
    soft = edge.filter(ImageFilter.GaussianBlur(2))
    sharp = preprocess.sharpen(soft)
    assert (sharp.size, sharp.mode) == (soft.size, soft.mode)

    def steepest(img: Image.Image) -> int:
        row = img.crop((0, 8, 64, 9)).tobytes()
        return max(abs(a - b) for a, b in pairwise(row))

    assert steepest(sharp) > 1.15 * steepest(soft)  # 59 against 49 grey levels a pixel


def test_a_soft_page_reads_better_sharpened() -> None:
    img = _soft_page()
    assert not textsize.crisp(img)
    sharp_text, sharpened = _read(img)
    plain_text, plain = _read(img, sharpen=False)
    assert sharpened and not plain
    # Measured here: 59 character edits as read, 28 sharpened (of 1,630 characters).
    assert _errors(sharp_text) < 0.7 * _errors(plain_text)
    assert _errors(sharp_text) <= 0.03 * len(PROSE)


def test_grey_grainy_print_keeps_the_surer_unsharpened_reading() -> None:
    # Sharpening amplifies grain inside grey ink: Tesseract read one such page with 71 % mean
    # confidence sharpened and 81 % as it is, and with 391 character edits against 302 (the
    # figures were measured on unseeded grain, so they vary a little with the seed). The
    # doubtful sharpened reading gives way.
    prose = " ".join([PROSE] * 3)
    page = render_text(prose, size=15, width=1275, margin=75, min_height=1650)
    grain = noise(page.size, 12).point(lambda v: v + 110)
    buf = io.BytesIO()
    Image.composite(page, grain, page).save(buf, format="JPEG", quality=92)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    assert not textsize.crisp(img)
    text, sharpened = _read(img)
    assert not sharpened
    want, got = Counter(prose.split()), Counter(text.replace("\\", "").split())
    assert sum((got & want).values()) >= 0.7 * sum(want.values())


def test_a_crisp_page_is_read_as_it_is() -> None:
    img = render_text(PROSE, size=40, width=2400)
    assert textsize.crisp(img)
    text, sharpened = _read(img)
    assert not sharpened
    assert _errors(text) <= 0.01 * len(PROSE)
