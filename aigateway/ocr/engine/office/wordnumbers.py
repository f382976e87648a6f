"""A Word document's list numbering: the label each numbered paragraph shows.

Word numbers paragraphs from ``numbering.xml``: each list level has a number format
(``decimal``, ``lowerLetter``, ``upperRoman``, ``bullet`` ...), a label pattern (``lvlText``:
``%1.``, ``(%1)``, ``%1.%2``) and a start. A label is what the reader sees: ``(a)``, ``iv.``,
``2.3``. Plain decimal items (``%1.`` at their own level) become Markdown list items; any other
label is kept as text before the paragraph, since Markdown numbers lists with digits only.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .package import q
from .wordparts import val

__all__ = ("Level", "Numbering", "number_levels")

_PLACE = re.compile(r"%([1-9])")
_ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


@dataclass(frozen=True)
class Level:
    """One list level: its number format, label pattern and first number."""

    fmt: str
    text: str
    start: int


def _int(value: str | None, default: int) -> int:
    return int(value) if value is not None and value.isdecimal() else default


def number_levels(root: ET.Element | None) -> dict[tuple[str, int], Level]:
    """(numId, level) -> :class:`Level`, through each ``w:num``'s abstract numbering."""
    if root is None:
        return {}
    abstract: dict[str, dict[int, Level]] = {}
    for ab in root.iter(q("w:abstractNum")):
        levels: dict[int, Level] = {}
        for lvl in ab.iter(q("w:lvl")):
            raw = lvl.get(q("w:ilvl"), "0")
            if raw.isdecimal() and int(raw) < 9:
                fmt = val(lvl, "w:numFmt") or "decimal"
                text = val(lvl, "w:lvlText")
                levels[int(raw)] = Level(
                    fmt, f"%{int(raw) + 1}." if text is None else text, _int(val(lvl, "w:start"), 1)
                )
        abstract[ab.get(q("w:abstractNumId"), "")] = levels
    out: dict[tuple[str, int], Level] = {}
    for num in root.iter(q("w:num")):
        for ilvl, level in abstract.get(val(num, "w:abstractNumId") or "", {}).items():
            out[(num.get(q("w:numId"), ""), ilvl)] = level
    return out


def _letters(n: int) -> str:
    # Word's letters go a..z, then aa..zz, then aaa: the same letter repeated.
    return chr(97 + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _roman(n: int) -> str:
    out = ""
    for value, digits in _ROMAN:
        while n >= value:
            out += digits
            n -= value
    return out


def format_number(n: int, fmt: str) -> str:
    """``n`` as the number format ``fmt`` writes it (decimal for formats not known here)."""
    if n < 1:
        return str(n)
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(min(n, 39_999))
    if fmt == "upperRoman":
        return _roman(min(n, 39_999)).upper()
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


class Numbering:
    """Counts a document's numbered paragraphs in order and says what each one shows."""

    def __init__(self, levels: dict[tuple[str, int], Level]) -> None:
        self.levels = levels
        self.counts: dict[str, dict[int, int]] = {}

    def prefix(self, num: ET.Element) -> str:
        """The Markdown to put before a paragraph with this ``w:numPr``: ``- ``, ``3. `` or a
        label such as ``(a) ``, indented by level (nothing when it is not numbered)."""
        num_id = val(num, "w:numId") or ""
        ilvl = min(_int(val(num, "w:ilvl"), 0), 8)
        level = self.levels.get((num_id, ilvl))
        if num_id in ("", "0") or level is None or level.fmt == "none":
            return ""
        indent = "  " * ilvl
        if level.fmt == "bullet":
            return indent + "- "
        counts = self.counts.setdefault(num_id, {})
        counts[ilvl] = counts.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]  # a new item at this level starts its sub-lists afresh
        if level.fmt == "decimal" and level.text == f"%{ilvl + 1}.":
            return f"{indent}{counts[ilvl]}. "

        def place(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            other = self.levels.get((num_id, k))
            n = counts.get(k, other.start if other else 1)
            return format_number(n, other.fmt if other else "decimal")

        label = _PLACE.sub(place, level.text).strip()
        return f"{label} " if label else ""
