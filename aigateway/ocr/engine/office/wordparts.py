"""The parts beside a Word document's body: its styles, numbering and notes, and the plain
text of a paragraph, a table cell or a note (what :mod:`.docx` reads them with)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .package import q

__all__ = (
    "MATH_T",
    "SKIP",
    "SPACES",
    "heading_styles",
    "notes",
    "plain_text",
    "val",
)

MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
SKIP = frozenset(
    q(t)
    for t in (
        "w:pPr",
        "w:rPr",
        "w:sdtPr",
        "w:del",
        "w:moveFrom",
        "w:instrText",
        "w:delText",
        "w:sectPr",
    )
) | {MC_FALLBACK}
"""Elements whose text is not the document's: properties, deleted revisions, field codes, and
the fallback copy of content given twice (``mc:AlternateContent``)."""
MATH_T = "{http://schemas.openxmlformats.org/officeDocument/2006/math}t"
"""An equation's (OMML) run text: read as plain text, in the order written."""
SPACES = re.compile(r"[ \t]+")
_HEADING = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def val(el: ET.Element | None, tag: str) -> str | None:
    """The ``w:val`` of ``el``'s ``tag`` child."""
    if el is None:
        return None
    child = el.find(q(tag))
    return None if child is None else child.get(q("w:val"))


def heading_styles(root: ET.Element | None) -> tuple[dict[str, int], dict[str, ET.Element]]:
    """Paragraph style id -> heading level (styles based on a heading style inherit it), and
    style id -> the ``w:numPr`` a list style numbers its paragraphs with."""
    numbers: dict[str, ET.Element] = {}
    if root is None:
        return {}, numbers
    own: dict[str, int | None] = {}
    based: dict[str, str] = {}
    for st in root.iter(q("w:style")):
        sid = st.get(q("w:styleId"))
        if not sid or st.get(q("w:type"), "paragraph") != "paragraph":
            continue
        name = (val(st, "w:name") or "").strip()
        m = _HEADING.match(name)
        ppr = st.find(q("w:pPr"))
        level = val(ppr, "w:outlineLvl")
        num = ppr.find(q("w:numPr")) if ppr is not None else None
        if num is not None:
            numbers[sid] = num
        if m:
            own[sid] = int(m.group(1))
        elif name.lower() == "title":
            own[sid] = 1
        elif level is not None and level.isdecimal() and int(level) < 9:
            own[sid] = int(level) + 1
        else:
            own[sid] = None
        parent = val(st, "w:basedOn")
        if parent:
            based[sid] = parent
    out: dict[str, int] = {}
    for sid in own:
        cur: str | None = sid
        for _ in range(16):  # basedOn chains are short; a loop in a hostile file is not
            if cur is None:
                break
            if own.get(cur) is not None:
                out[sid] = int(own[cur] or 0)
                break
            cur = based.get(cur)
    return out, numbers


def notes(root: ET.Element | None) -> dict[str, str]:
    """Footnotes' (or endnotes') text by id, separators left out."""
    if root is None:
        return {}
    out: dict[str, str] = {}
    for note in root:
        if note.get(q("w:type")) in ("separator", "continuationSeparator"):
            continue
        out[note.get(q("w:id"), "")] = plain_text(note)
    return out


def plain_text(el: ET.Element) -> str:
    """The paragraphs in ``el`` (a cell, a note) as one line; pictures and boxes dropped,
    nested tables' text in document order."""
    out: list[str] = []
    for p in el.iter(q("w:p")):
        parts: list[str] = []
        _walk_text(p, parts)
        text = SPACES.sub(" ", "".join(parts).replace("\n", " ")).strip()
        if text:
            out.append(text)
    return " ".join(out)


def _walk_text(el: ET.Element, parts: list[str]) -> None:
    for child in el:
        if child.tag in SKIP or child.tag in (q("w:tbl"), q("w:txbxContent")):
            continue  # nested tables' own paragraphs come through el.iter
        if child.tag in (q("w:t"), MATH_T):
            parts.append(child.text or "")
        elif child.tag in (q("w:tab"), q("w:br"), q("w:cr")):
            parts.append(" ")
        elif child.tag == q("w:noBreakHyphen"):
            parts.append("-")
        else:
            _walk_text(child, parts)
