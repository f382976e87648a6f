"""An Excel workbook (XLSX) as pages of Markdown: a page per visible sheet, its cells as a table.

Each worksheet is a page headed by its name, with the rows and columns that hold a value as a
table (the first such row is the header). Values are what Excel shows for the common cases:
shared and inline strings, numbers to 15 significant digits (Excel's precision), booleans as
``TRUE``/``FALSE``, error values as written, formulas as their cached result, and dates and
times (cells styled with a date or time format) in ISO 8601, percentages as percentages. A chart
sheet is a page with its name only. Hidden sheets, rows and columns are left out: Excel neither
shows nor prints them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from .model import EMU_PER_INCH, Grid, OfficePage
from .package import Package, Rel, bad, q

__all__ = ("count_xlsx", "read_xlsx")

MAX_CELLS = 2_000_000
"""Cells of a sheet's table (rows with a value times columns with one)."""

LETTER = (int(8.5 * EMU_PER_INCH), 11 * EMU_PER_INCH)
"""A sheet's printed page when it sets no orientation (Letter, portrait)."""

_BUILTIN = {
    9: "0%",
    10: "0.00%",
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm am/pm",
    19: "h:mm:ss am/pm",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    45: "mm:ss",
    46: "h:mm:ss",
    47: "mmss.0",
}
"""Built-in number formats (ECMA-376 18.8.30) that show a number other than as stored."""
_CELL, _SETUP, _V, _IS, _T = q("s:c"), q("s:pageSetup"), q("s:v"), q("s:is"), q("s:t")
_COL = q("s:col")
_SHEET_TAGS = frozenset({q("s:row"), _SETUP, _COL})
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _col(ref: str) -> int | None:
    m = _REF.match(ref)
    if not m:
        return None
    n = 0
    for ch in m.group(1):
        n = n * 26 + ord(ch) - 64
    return n - 1


def _text(el: ET.Element) -> str:
    """A string item's text: its runs, not its phonetic guides."""
    guides = {id(t) for rph in el.iter(q("s:rPh")) for t in rph.iter(q("s:t"))}
    return "".join(t.text or "" for t in el.iter(_T) if id(t) not in guides)


def _hidden_columns(col: ET.Element) -> set[int]:
    """0-based columns a hidden ``s:col`` range covers (at most Excel's 16,384)."""
    if col.get("hidden") not in ("1", "true"):
        return set()
    lo, hi = col.get("min", ""), col.get("max", "")
    if not (lo.isdecimal() and hi.isdecimal()):
        return set()
    return set(range(max(1, int(lo)) - 1, min(int(hi), 16_384)))


def _percent(value: str) -> str:
    try:
        return f"{float(value) * 100:.13g}%"
    except ValueError:
        return value


def _number(value: str) -> str:
    try:
        x = float(value)
    except ValueError:
        return value
    return f"{x:.15g}"


class _Book:
    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.main = pkg.main_part()
        self.rels = pkg.rels(self.main)
        self.root = pkg.xml(self.main)
        pr = self.root.find(q("s:workbookPr"))
        self.epoch = (
            datetime(1904, 1, 1)
            if pr is not None and pr.get("date1904") in ("1", "true")
            else datetime(1899, 12, 30)
        )
        self.shared = [_text(si) for si in self._part("sharedStrings", "s:si")]
        self.shows = self._number_styles()

    def _part(self, kind: str, tag: str) -> list[ET.Element]:
        for rel in self.rels.values():
            if rel.kind == kind and not rel.external and self.pkg.has(rel.target):
                return list(self.pkg.xml(rel.target).iter(q(tag)))
        return []

    def _number_styles(self) -> dict[int, str]:
        """Cell style index -> ``"date"``, ``"time"`` or ``"percent"``, for styles whose number
        format shows a number so (other numbers are shown as stored)."""
        custom: dict[int, str] = {}
        for fmt in self._part("styles", "s:numFmt"):
            raw_id = fmt.get("numFmtId", "")
            if raw_id.isdecimal():
                custom[int(raw_id)] = _QUOTED.sub("", fmt.get("formatCode", "")).lower()
        out: dict[int, str] = {}
        for styles in self._part("styles", "s:cellXfs"):
            for n, xf in enumerate(styles.iter(q("s:xf"))):
                fid_s = xf.get("numFmtId", "0")
                fid = int(fid_s) if fid_s.isdecimal() else 0
                code = custom.get(fid, _BUILTIN.get(fid, ""))
                if re.search(r"[dy]", code) or (re.search(r"m", code) and "h" not in code):
                    out[n] = "date"
                elif re.search(r"[hs]", code):
                    out[n] = "time"
                elif "%" in code:
                    out[n] = "percent"
        return out

    def _date(self, value: str, with_date: bool) -> str:
        try:
            serial = float(value)
            when = self.epoch + timedelta(days=serial)
        except (ValueError, OverflowError):
            return value
        if not with_date:
            return when.strftime("%H:%M:%S")
        if serial == int(serial):
            return when.date().isoformat()
        return when.isoformat(sep=" ", timespec="seconds")

    def value(self, c: ET.Element) -> str:
        kind = c.get("t", "n")
        v = c.find(_V)
        raw = v.text or "" if v is not None else ""
        if kind == "s":
            return self.shared[int(raw)] if raw.isdecimal() and int(raw) < len(self.shared) else ""
        if kind == "inlineStr":
            inline = c.find(_IS)
            return _text(inline) if inline is not None else ""
        if kind == "b":
            return {"1": "TRUE", "0": "FALSE"}.get(raw, raw)
        if kind in ("str", "e") or not raw:
            return raw
        style = c.get("s", "0")
        shows = self.shows.get(int(style)) if style.isdecimal() else None
        if shows == "percent":
            return _percent(raw)
        return _number(raw) if shows is None else self._date(raw, shows == "date")

    def sheet(self, name: str, part: str) -> OfficePage:
        width, height = LETTER
        rows: list[list[tuple[int, str]]] = []
        cols: set[int] = set()
        hidden: set[int] = set()
        for el in self.pkg.elements(part, _SHEET_TAGS):
            if el.tag == _SETUP:
                if el.get("orientation") == "landscape":
                    width, height = height, width
                continue
            if el.tag == _COL:
                hidden |= _hidden_columns(el)
                continue
            if el.get("hidden") in ("1", "true"):
                continue  # Excel neither shows nor prints a hidden row
            row: list[tuple[int, str]] = []
            col = 0
            for c in el.iter(_CELL):
                at = _col(c.get("r", ""))
                col = at if at is not None else col
                text = " ".join(self.value(c).split())
                if text and col not in hidden:
                    row.append((col, text))
                    cols.add(col)
                col += 1
            if row:
                rows.append(row)
        page = OfficePage(width, height, ["## " + name.replace("\n", " ")])
        if len(rows) * len(cols) > MAX_CELLS:
            raise bad(
                "XLSX",
                f"sheet {name!r} spans {len(rows)} x {len(cols)} cells (at most {MAX_CELLS})",
            )
        order = {c: k for k, c in enumerate(sorted(cols))}
        grid = []
        for entries in rows:
            cells = [""] * len(order)
            for at, text in entries:
                cells[order[at]] = text
            grid.append(cells)
        if grid:
            page.blocks.append(Grid(grid))
        return page


def _sheets(pkg: Package, main: str, root: ET.Element) -> list[tuple[str, Rel]]:
    """The workbook's visible sheets (name, relationship), in its order: hidden ones are
    neither shown nor printed."""
    rels = pkg.rels(main)
    out: list[tuple[str, Rel]] = []
    sheets = root.find(q("s:sheets"))
    for sheet in sheets if sheets is not None else ():
        if sheet.get("state") in ("hidden", "veryHidden"):
            continue
        rel = rels.get(sheet.get(q("r:id"), ""))
        if rel is not None and not rel.external and pkg.has(rel.target):
            out.append((sheet.get("name", ""), rel))
    return out


def count_xlsx(pkg: Package) -> int:
    """The workbook's pages (its visible sheets) without reading them."""
    main = pkg.main_part()
    return len(_sheets(pkg, main, pkg.xml(main)))


def read_xlsx(pkg: Package) -> list[OfficePage]:
    """One page per visible sheet, in the workbook's order."""
    book = _Book(pkg)
    pages: list[OfficePage] = []
    for name, rel in _sheets(pkg, book.main, book.root):
        if rel.kind == "worksheet":
            pages.append(book.sheet(name, rel.target))
        else:
            pages.append(OfficePage(*LETTER, ["## " + name]))
    return pages
