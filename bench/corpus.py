"""Build the OCR quality corpus from PDF manuals that Debian packages ship.

Usage::

    .venv/bin/python bench/corpus.py [--cache DIR] [--list]

Every page is a born-digital PDF page: rendered with pdfium, its own text layer (extracted by
pdfium) is exact ground truth for what the rendering shows. Pages whose text layer fails the
engine's own plausibility checks, or that hold under 300 characters, are skipped. From each
rendered page the variants below are made with a seeded random generator (same corpus on every
machine with the same packages):

==============  =================================================================================
category        what the page is
==============  =================================================================================
born-digital    rendered at 300 DPI, grayscale, PNG with its DPI tag
scan            a simulated office scan: 300 DPI, 0.3-1.2 degree skew, slight blur, paper grain,
                uneven illumination, JPEG quality 60-75 (no DPI tag: the gateway must cope)
noisy           light grey grain over the whole page (text untouched, background textured)
skewed          rotated 2-4 degrees
low-dpi         rendered at 150 DPI
jpeg            200 DPI, JPEG quality 15-25
rotated         turned 90, 180 or 270 degrees
photo           a phone photo: the page on a dark wooden table, its corners 1.5-5 % of its size
                off square (perspective), lit by a lamp falling off across the frame, softened,
                3000 px on its long side, JPEG quality 75-90 with a 72 DPI tag (as phones write)
fax             as a fax machine sends the page: one-bit (threshold 110-150), 0.2-0.5 % of its
                pixels flipped to black and 0.05-0.15 % to white (line noise, dust), in fine mode
                (204 x 196 DPI, G4 TIFF) or, for one page in three, standard mode (204 x 98 DPI,
                G3 TIFF: pixels twice as tall as wide)
==============  =================================================================================

Sources are split up front into a **tune** set (what the engine was developed against) and a
**report** set (never looked at while tuning); ``bench/ocr_quality.py`` prints both and the
README quotes the report set. A third split, **more**, holds further pages of the tune sources
(:data:`MORE`: the categories the gateway trailed raw RapidOCR in on the report split), kept
as a check, before the report split is run, that a gain on the tune split is not a fit to its
pages (since the thirty-fifth round, whose changes came from its pages, a looser one). A fourth, **unseen**, holds sources of other kinds (a paper full of
formulas, a DocBook guide, a Texinfo manual) that no round has looked at or tuned on: what the
issue's "documents you will not see" are, as near as the package index ships them. Debian
packages: see ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageFilter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aigateway.ocr.engine import paper, textlayer  # noqa: E402

__all__ = ("SOURCES", "Item", "Source", "build")

CORPUS_VERSION = 6
"""Bump when variants change: the cache key includes it. Version 6 added the ``more`` split;
version 5 added ``fax``. The other categories' files are byte-identical to version 4's (each
page's generator is seeded by its source, category and page, and the pages chosen for them
are the same)."""


@dataclass(frozen=True)
class Source:
    """A PDF manual from a Debian package, and which pages of it the corpus samples."""

    name: str
    package: str
    path: str
    split: str
    """``"tune"``, ``"report"`` or ``"unseen"``."""
    first: int
    """First page sampled (skips covers and tables of contents)."""


SOURCES = (
    Source("camlidl", "camlidl-doc", "/usr/share/doc/camlidl/camlidl-1.04.doc.pdf", "tune", 1),
    Source(
        "docbook-xsl",
        "docbook-xsl-doc-pdf",
        "/usr/share/doc/docbook-xsl-doc-pdf/doc/reference.pdf.gz",
        "tune",
        10,
    ),
    # Added in the engine's fifth round, tune only: more typography to tune on (small code
    # fonts, DocBook tables) without touching the report split.
    Source("nettle", "nettle-dev", "/usr/share/doc/nettle-dev/nettle.pdf.gz", "tune", 6),
    Source("valgrind", "valgrind", "/usr/share/doc/valgrind/valgrind_manual.pdf.gz", "tune", 12),
    Source("bzip2", "bzip2-doc", "/usr/share/doc/bzip2/manual.pdf.gz", "tune", 4),
    # Added in the seventh round, tune only: R's reference manual (Rd pages: argument lists
    # set as two columns, usage blocks) and its texinfo extensions manual.
    Source("rref", "r-doc-pdf", "/usr/share/doc/r-doc-pdf/manual/refman.pdf", "tune", 40),
    Source("rexts", "r-doc-pdf", "/usr/share/doc/r-doc-pdf/manual/R-exts.pdf", "tune", 12),
    # Added in the twelfth round, tune only: code-heavy manuals in other typesettings (a
    # Doxygen reference manual, ReportLab's own PDF, framed and numbered listings, an Erlang
    # manual, a C++ book), so that what the report split's code and reference pages need can be
    # found without looking at them.
    Source("raptor", "seqan-raptor-doc", "/usr/share/doc/seqan-raptor/refman.pdf.gz", "tune", 6),
    Source(
        "reportlab",
        "python-reportlab-doc",
        "/usr/share/doc/python-reportlab-doc/reportlab-userguide.pdf",
        "tune",
        6,
    ),
    Source("freefem", "freefem-doc", "/usr/share/doc/freefem-doc/freefem.pdf", "tune", 6),
    Source(
        "cpp", "c++-annotations-pdf", "/usr/share/doc/c++-annotations/cplusplus.pdf", "tune", 30
    ),
    Source(
        "erts",
        "erlang-doc",
        "/usr/share/doc/erlang-doc/erts-13.1.5/doc/pdf/erts-13.1.5.pdf",
        "tune",
        10,
    ),
    # Added in the forty-third round, tune only: a LaTeX manual set with mathematics (linear
    # programs with subscripts, bound tables, solver logs), so that what the report split's
    # mathematical pages need can be found without looking at them.
    Source("glpk", "glpk-doc", "/usr/share/doc/glpk-doc/glpk.pdf", "tune", 8),
    Source("why3", "why3-doc-pdf", "/usr/share/doc/why3-doc-pdf/manual.pdf", "report", 8),
    Source(
        "siscone",
        "siscone-doc-pdf",
        "/usr/share/doc/siscone-doc-pdf/pdf/refman.pdf.gz",
        "report",
        4,
    ),
    Source("gri", "gri-pdf-doc", "/usr/share/doc/gri/gri.pdf.gz", "report", 12),
    Source(
        "amc",
        "auto-multiple-choice-doc-pdf",
        "/usr/share/doc/auto-multiple-choice/auto-multiple-choice.en.pdf",
        "report",
        6,
    ),
    # The unseen split (added in the fortieth round): manuals of other kinds and typesettings
    # (a paper on CRC algorithms, full of formulas; a DocBook user guide; a GNU Texinfo
    # library manual), read by no round before its figures were printed, and tuned on by none.
    Source("crc", "zlib1g-dev", "/usr/share/doc/zlib1g-dev/crc-doc.1.0.pdf.gz", "unseen", 2),
    Source(
        "fontconfig", "fontconfig", "/usr/share/doc/fontconfig/fontconfig-user.pdf.gz", "unseen", 1
    ),
    Source("tasn1", "libtasn1-doc", "/usr/share/doc/libtasn1-doc/libtasn1.pdf", "unseen", 2),
)

PAGES = {
    "born-digital": 6,
    "scan": 4,
    "noisy": 2,
    "skewed": 2,
    "low-dpi": 2,
    "jpeg": 2,
    "rotated": 2,
    "photo": 2,
    "fax": 2,
}
"""Pages per source and category (the first N usable pages of a source, every third page)."""

FIRST = max(PAGES.values()) + sum(PAGES.values())
"""Usable pages a source's tune or report pages are drawn from (at most; see :func:`assign`)."""

MORE = {"born-digital": 4, "scan": 4, "noisy": 4, "low-dpi": 4}
"""Pages per tune source and category of the ``more`` split: the source's usable pages after
the ones :data:`PAGES` takes (a source with too few has fewer or none)."""


def assign(pages: list[Any], split: str) -> list[tuple[str, str, list[Any]]]:
    """(split, category, pages) for a source's usable ``pages``: :data:`PAGES` from the first
    ones (categories take distinct pages where the source has enough of them) and, for a tune
    source, :data:`MORE` from the pages after those, each category its own."""
    out: list[tuple[str, str, list[Any]]] = []
    k = 0
    for category, n in PAGES.items():
        out.append((split, category, pages[k : k + n] if len(pages) >= k + n else pages[:n]))
        k += n
    if split == "tune":
        k = FIRST
        for category, n in MORE.items():
            out.append(("more", category, pages[k : k + n]))
            k += n
    return out


@dataclass(frozen=True)
class Item:
    """One corpus page on disk."""

    source: str
    split: str
    """``"tune"``, ``"report"``, ``"more"`` (:data:`MORE`) or ``"unseen"``."""
    category: str
    page: int
    image: Path
    media_type: str
    reference: str


def _pdf_bytes(path: str) -> bytes:
    data = Path(path).read_bytes()
    return gzip.decompress(data) if path.endswith(".gz") else data


def _leaders(text: str) -> bool:
    """Over 40 % of the page's characters are punctuation or symbols: a table of contents or
    an index, mostly dot leaders. The engine trusted no such text layer when the corpus was
    fixed; it does since the seventh round, and this keeps the same pages in the corpus."""
    chars = [c for c in text if not c.isspace()]
    marks = sum(1 for c in chars if unicodedata.category(c)[0] in "PS")
    return marks > 0.4 * len(chars)


def _usable_pages(data: bytes, first: int, want: int) -> list[tuple[int, str]]:
    """(index, text layer) of pages the text layer can be trusted on, every third page."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    out: list[tuple[int, str]] = []
    try:
        for i in range(first, len(doc), 3):
            page = doc[i]
            try:
                layer = textlayer.extract(page)
            finally:
                page.close()
            text = layer.text
            if len(text.replace(" ", "")) < 300 or textlayer.assess(layer) is not None:
                continue
            if _leaders(text):
                continue
            out.append((i, text))
            if len(out) >= want:
                break
    finally:
        doc.close()
    return out


def _render(data: bytes, index: int, dpi: int) -> Image.Image:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        page = doc[index]
        try:
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            img: Image.Image = bitmap.to_pil().copy()
            bitmap.close()
        finally:
            page.close()
    finally:
        doc.close()
    return img


def _encode(img: Image.Image, fmt: str, **kw: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _grain(size: tuple[int, int], sigma: float, mean: int, rng: random.Random) -> Image.Image:
    """Gaussian paper grain around ``mean``, drawn from ``rng``.

    Not ``Image.effect_noise``: that draws from C's unseeded ``rand()``, so the same corpus
    version came out with different grain on different machines (and runs)."""
    gen = np.random.default_rng(rng.getrandbits(64))
    noise = gen.normal(mean, sigma, (size[1], size[0]))
    return Image.fromarray(np.clip(np.rint(noise), 0, 255).astype(np.uint8), "L")


def _variant(category: str, data: bytes, index: int, rng: random.Random) -> tuple[bytes, str]:
    """The page's image bytes and media type for ``category``."""
    if category == "born-digital":
        return _encode(_render(data, index, 300), "PNG", dpi=(300, 300)), "image/png"
    if category == "low-dpi":
        return _encode(_render(data, index, 150), "PNG", dpi=(150, 150)), "image/png"
    if category == "jpeg":
        img = _render(data, index, 200)
        return _encode(img, "JPEG", quality=rng.randint(15, 25), dpi=(200, 200)), "image/jpeg"
    img = _render(data, index, 300)
    if category == "rotated":
        turned = img.rotate(rng.choice((90, 180, 270)), expand=True, fillcolor=255)
        return _encode(turned, "PNG", dpi=(300, 300)), "image/png"
    if category == "skewed":
        angle = rng.uniform(2.0, 4.0) * rng.choice((-1, 1))
        skewed = img.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
        return _encode(skewed, "PNG", dpi=(300, 300)), "image/png"
    if category == "noisy":
        grain = _grain(img.size, rng.uniform(40, 55), rng.randint(195, 210), rng)
        return _encode(ImageChops.darker(img, grain), "PNG", dpi=(300, 300)), "image/png"
    if category == "scan":
        angle = rng.uniform(0.3, 1.2) * rng.choice((-1, 1))
        img = img.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 0.9)))
        # Illumination falling off towards one side, as under a scanner lid or a camera.
        w, h = img.size
        ramp = Image.linear_gradient("L").resize((w, h)).point(lambda v: 255 - v // 6)
        if rng.random() < 0.5:
            ramp = ramp.rotate(90, expand=True).resize((w, h))
        img = ImageChops.multiply(img, ramp)
        img = ImageChops.darker(img, _grain(img.size, rng.uniform(10, 18), 235, rng))
        return _encode(img, "JPEG", quality=rng.randint(60, 75)), "image/jpeg"
    if category == "photo":
        return _encode(_photo(img, rng), "JPEG", quality=rng.randint(75, 90), dpi=(72, 72)), (
            "image/jpeg"
        )
    if category == "fax":
        return _fax(img, rng), "image/tiff"
    raise ValueError(category)


def _fax(page: Image.Image, rng: random.Random) -> bytes:
    """``page`` (300 DPI) as a fax machine sends it (the ``fax`` category): a TIFF."""
    dpi = (204, 98) if rng.random() < 1 / 3 else (204, 196)
    size = (round(page.width * dpi[0] / 300), round(page.height * dpi[1] / 300))
    grey = page.resize(size, Image.Resampling.LANCZOS)
    level = rng.randint(110, 150)
    gen = np.random.default_rng(rng.getrandbits(64))
    flip = gen.random((size[1], size[0]))
    black = rng.uniform(0.002, 0.005)
    white = rng.uniform(0.0005, 0.0015)
    ink = (np.asarray(grey) <= level) | (flip < black)
    ink &= flip < 1 - white
    img = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8), "L").convert("1")
    compression = "group4" if dpi[1] > 150 else "group3"
    return _encode(img, "TIFF", compression=compression, dpi=dpi)


def _photo(page: Image.Image, rng: random.Random) -> Image.Image:
    """``page`` photographed on a table (the ``photo`` category)."""
    gen = np.random.default_rng(rng.getrandbits(64))
    w, h = page.size
    size = (round(w * 1.25), round(h * 1.2))
    grain = gen.normal(0, rng.uniform(12, 22), (size[1] // 8 + 1, size[0] // 8 + 1))
    wood = np.clip(grain[..., None] + np.array([100, 72, 48]), 0, 255).astype(np.uint8)
    table = Image.fromarray(wood, "RGB").resize((size[0] // 8 * 8 + 8, size[1] // 8 * 8 + 8))
    table = table.crop((0, 0, *size))
    off = rng.uniform(0.015, 0.05)
    mx, my = (size[0] - w) / 2, (size[1] - h) / 2
    corners = [
        (mx + x * w + rng.uniform(-off, off) * w, my + y * h + rng.uniform(-off, off) * h)
        for x, y in ((0, 0), (1, 0), (1, 1), (0, 1))
    ]
    coeffs = paper.coefficients([(0, 0), (w, 0), (w, h), (0, h)], corners)
    persp = Image.Transform.PERSPECTIVE
    warped = page.convert("RGB").transform(size, persp, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", page.size, 255).transform(size, persp, coeffs)
    photo = Image.composite(warped, table, mask)
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    lamp = (rng.uniform(0, size[0]), rng.uniform(0, size[1]))
    light = 1.0 - rng.uniform(0.3, 0.5) * np.hypot(xx - lamp[0], yy - lamp[1]) / np.hypot(*size)
    lit = np.asarray(photo).astype(np.float32) * light[..., None].astype(np.float32)
    photo = Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8), "RGB")
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.0)))
    scale = 3000 / max(size)
    return photo.resize((round(size[0] * scale), round(size[1] * scale)), Image.Resampling.LANCZOS)


_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}
_MEDIA = {ext: media for media, ext in _EXTENSIONS.items()}


def default_cache() -> Path:
    """``$AIGW_BENCH_CACHE`` or ``~/.cache/aigateway-bench``."""
    env = os.environ.get("AIGW_BENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "aigateway-bench"


def build(cache: Path, log: Any = print) -> list[Item]:
    """Build (or reuse) the corpus under ``cache``; sources whose package is missing are
    skipped with a note."""
    items: list[Item] = []
    for src in SOURCES:
        want = FIRST + (sum(MORE.values()) if src.split == "tune" else 0)
        if not os.path.exists(src.path):
            log(f"  corpus: {src.name} skipped (apt-get install {src.package})")
            continue
        raw = Path(src.path).read_bytes()
        key = hashlib.sha256(raw + f"v{CORPUS_VERSION}".encode()).hexdigest()[:16]
        folder = cache / f"{src.name}-{key}"
        manifest = folder / "manifest.json"
        if manifest.exists():
            entries = json.loads(manifest.read_text())
        else:
            data = _pdf_bytes(src.path)
            pages = _usable_pages(data, src.first, want)
            folder.mkdir(parents=True, exist_ok=True)
            entries = []
            for split, category, chosen in assign(pages, src.split):
                for index, text in chosen:
                    rng = random.Random(f"{src.name}/{category}/{index}")
                    blob, media = _variant(category, data, index, rng)
                    ext = _EXTENSIONS[media]
                    name = f"{category}-p{index}.{ext}"
                    (folder / name).write_bytes(blob)
                    (folder / f"{category}-p{index}.txt").write_text(text, encoding="utf-8")
                    entries.append(
                        {"split": split, "category": category, "page": index, "file": name}
                    )
            manifest.write_text(json.dumps(entries, indent=1))
        for e in entries:
            ref = (folder / e["file"].rsplit(".", 1)[0]).with_suffix(".txt")
            media = _MEDIA[e["file"].rsplit(".", 1)[1]]
            items.append(
                Item(
                    src.name,
                    e.get("split", src.split),
                    e["category"],
                    e["page"],
                    folder / e["file"],
                    media,
                    ref.read_text(encoding="utf-8"),
                )
            )
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the OCR quality corpus.")
    parser.add_argument("--cache", type=Path, default=default_cache())
    parser.add_argument("--list", action="store_true", help="print every item")
    args = parser.parse_args()
    items = build(args.cache)
    for split in ("tune", "report", "more", "unseen"):
        part = [i for i in items if i.split == split]
        cats: dict[str, int] = {}
        for i in part:
            cats[i.category] = cats.get(i.category, 0) + 1
        print(f"{split}: {len(part)} pages  " + ", ".join(f"{c} {n}" for c, n in cats.items()))
    if args.list:
        for i in items:
            print(f"  {i.split:<6} {i.source:<12} {i.category:<13} p{i.page:<4} {i.image}")


if __name__ == "__main__":
    main()
