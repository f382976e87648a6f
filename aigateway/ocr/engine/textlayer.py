"""A PDF page's own text layer: extract it, and decide whether it can be trusted.

Born-digital PDFs carry their text; reading it is exact and ~100x faster than OCR. But text
layers lie: fonts without a ToUnicode map extract as symbol soup, some producers drop the spaces,
and scanned PDFs often carry an invisible layer from an earlier (bad) OCR pass. :func:`assess`
applies cheap plausibility checks; a page that fails them is rendered and OCR'd instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from .formfields import Field, merge, read

__all__ = ("PageLayer", "assess", "extract", "normalize")

MIN_CHARS = 16
"""Fewer non-space characters than this on a page with pictures: treat it as a scan."""

_WORD = re.compile(r"[^\W\d_]+")
_VOWELS = frozenset("aeiouy")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")
_LEADER = re.compile(r"[.\u00b7\u2024\u2026](?:[ \t]?[.\u00b7\u2024\u2026]){2,}")
"""Dot leaders (". . . . 12" in a table of contents or an index): typography, not symbols."""


@dataclass(frozen=True)
class PageLayer:
    """What a page holds: its extracted text and how much of it is pictures."""

    text: str
    image_objects: int
    image_coverage: float
    """Fraction of the page area covered by image bounding boxes (0..1, capped)."""
    invisible_text: bool
    """Every text object uses render mode 3 (invisible): an OCR layer over a scan."""
    fields: tuple[Field, ...] = ()
    """A filled-in form's visible fields (:mod:`.formfields`): not the page's own text, so
    not judged with it (:func:`assess`); a scanned form's answers alone are no text layer."""

    @property
    def full_text(self) -> str:
        """The page's text with its form's answers after their labels."""
        return merge(self.text, list(self.fields))


def normalize(raw: str) -> str:
    """pdfium's text with line endings made ``\\n``, trailing blanks removed, and its U+FFFE
    marks (a word hyphenated at a line end, already rejoined by pdfium) dropped."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffe", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def extract(page: Any) -> PageLayer:
    """Read the text layer and the picture coverage of a pypdfium2 ``PdfPage``."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        text = normalize(textpage.get_text_range())
        fields = tuple(read(page, textpage))
    finally:
        textpage.close()
    width, height = page.get_size()
    area = max(width * height, 1.0)
    images = 0
    covered = 0.0
    texts = 0
    invisible = 0
    for obj in page.get_objects(max_depth=4):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images += 1
            try:
                left, bottom, right, top = obj.get_bounds()
            except pdfium.PdfiumError:
                continue
            covered += max(0.0, right - left) * max(0.0, top - bottom)
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
            texts += 1
            if (
                pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw)
                == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
            ):
                invisible += 1
    return PageLayer(
        text=text,
        image_objects=images,
        image_coverage=min(1.0, covered / area),
        invisible_text=texts > 0 and invisible == texts,
        fields=fields,
    )


def _latin(ch: str) -> bool:
    return ch.isascii() or "LATIN" in unicodedata.name(ch, "")


def _base(ch: str) -> str:
    # "é" -> "e": vowels with accents still count as vowels.
    return unicodedata.normalize("NFKD", ch)[0].lower()


def _mixed_case(word: str) -> bool:
    return any(c.isupper() for c in word[1:]) and any(c.islower() for c in word[1:])


_CAMEL_PART = re.compile(r"[A-Z]?[^\W\d_A-Z]+|[A-Z]+(?![^\W\d_A-Z])")


def _camel(word: str) -> bool:
    """``word`` is an identifier in camelCase ("callNextMethod", "PyTessBaseAPI"): every
    capitalised part of two letters or more holds a vowel. Garbage ("xQzK") does not."""
    parts = _CAMEL_PART.findall(word)
    if "".join(parts) != word:
        return False
    return all(len(p) >= 2 and (p.isupper() or set(p.lower()) & _VOWELS) for p in parts)


def assess(layer: PageLayer, *, trust_invisible: bool = True) -> str | None:
    """``None`` when the text layer looks usable, else the reason it does not."""
    text = layer.text
    chars = [c for c in text if not c.isspace()]
    if len(chars) < MIN_CHARS:
        if layer.image_objects or not chars:
            # Scans, and pages whose text is drawn as outlines (no text objects at all).
            return "too little text"
        return None
    if layer.invisible_text and not trust_invisible and layer.image_coverage > 0.5:
        return "invisible OCR layer over a scan"
    bad = sum(
        1 for c in chars if c == "\ufffd" or unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs")
    )
    if bad > 0.02 * len(chars):
        return "unmapped glyphs"
    # A table of contents is mostly dot leaders and would fail this test, though its text
    # layer is exact (R's reference manual: 30 of its first 40 pages were OCR'd for it).
    marks = [c for c in _LEADER.sub(" ", text) if not c.isspace()]
    symbols = sum(1 for c in marks if unicodedata.category(c)[0] in "PS")
    if symbols > 0.4 * len(marks):
        return "mostly symbols"
    # No "missing spaces" rule: pdfium inserts spaces from glyph positions, so a text layer
    # without them mirrors a page that shows none, and OCR would not do better (measured on
    # the DocBook reference PDF's table of contents in bench/ocr_quality.py).
    words = _WORD.findall(text)
    if len(words) >= 8:
        # 4+ letters: code and markup ("xsl", "div", "px") are full of short vowel-less words.
        latin = [w for w in words if len(w) >= 4 and not w.isupper() and all(map(_latin, w))]
        if len(latin) >= 8:
            odd = 0
            for w in latin:
                low = "".join(_base(c) for c in w)
                if not (set(low) & _VOWELS) or _CONSONANT_RUN.search(low):
                    odd += 1
                elif _mixed_case(w) and not _camel(w):
                    odd += 1  # "xQzK": mixed case inside a word
            if odd > 0.3 * len(latin):
                return "implausible words"
    return None
