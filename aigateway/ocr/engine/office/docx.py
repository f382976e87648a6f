"""A Word document (DOCX) as pages of Markdown, read from its WordprocessingML.

A DOCX has no fixed pages: Word lays it out when it opens it. Pages here break where the file
says one does: an explicit page break, a paragraph set to start a page, a section starting on a
new page, and the breaks Word recorded where its own last layout turned a page
(``w:lastRenderedPageBreak``, present in files Word saved). A file written by a program that
records none of them (many generators) is one page, however long.

Headings come from paragraph styles (``heading 1``-``9``, ``Title``) or outline levels, list
items from numbering (bullets as ``-``, numbered items counted), tables as rows of cells (merged
cells left empty, nested tables flattened into their cell), hyperlinks as Markdown links,
footnotes and endnotes as ``[^n]`` with their text at the end of the page that cites them, text
boxes after the paragraph that anchors them, SmartArt as a list of its texts. Each page knows
its section's header and footer (the first page's own where the section has one), returned
when ``extract_header`` / ``extract_footer`` ask for them. Deleted revisions,
hidden text and field codes are left out; inserted revisions and field results are read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ..markdown import escape_headings
from .diagrams import DGM, diagram_items
from .model import Grid, OfficePage, Picture
from .package import Package, q
from .wordnumbers import Numbering, number_levels
from .wordparts import MATH_T, SKIP, SPACES, heading_styles, notes, plain_text, val

__all__ = ("read_docx",)

_TWIP_EMU = 635
"""EMUs per twip (1/1440 inch), the unit of Word's page sizes."""

LETTER = (12_240 * _TWIP_EMU, 15_840 * _TWIP_EMU)
"""US Letter, Word's page when a section gives no size."""

_W_T, _W_R, _SECT = q("w:t"), q("w:r"), q("w:sectPr")
_RELIDS = f"{{{DGM}}}relIds"
"""A SmartArt drawing's link to its data part."""
_WRAPPERS = frozenset(q(t) for t in ("w:sdt", "w:sdtContent", "w:customXml"))
"""Content controls and custom XML: their content is read as if they were not there (a
``w:sdt``'s properties hold no text; its ``w:sdtContent`` does)."""


@dataclass
class _Para:
    """The paragraph being read: its text so far and what it set aside."""

    text: list[str] = field(default_factory=list)
    boxes: list[ET.Element] = field(default_factory=list)


class _Reader:
    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.main = pkg.main_part()
        self.rels = pkg.rels(self.main)
        self.styles, self.style_numbers = heading_styles(self._part("styles"))
        self.numbering = Numbering(number_levels(self._part("numbering")))
        self.notes = {kind: notes(self._part(kind)) for kind in ("footnotes", "endnotes")}
        self.cited: list[str] = []
        self.noted = 0
        self.pages: list[OfficePage] = [OfficePage(*LETTER)]
        self.section_start = 0
        self.in_table = 0
        self.prefix = ""
        self.extent: tuple[int, int] | None = None
        self.headers: dict[str, str] = {}
        self.footers: dict[str, str] = {}

    # --- parts beside the document --------------------------------------------------------------

    def _part(self, kind: str) -> ET.Element | None:
        for rel in self.rels.values():
            if rel.kind == kind and not rel.external and self.pkg.has(rel.target):
                return self.pkg.xml(rel.target)
        return None

    # --- pages ----------------------------------------------------------------------------------

    @property
    def page(self) -> OfficePage:
        return self.pages[-1]

    def _break(self) -> None:
        """Start a new page, unless nothing stands on this one yet (Word records a rendered
        break beside the explicit one that caused it)."""
        if self.in_table or not self.page.has_content():
            return
        self._flush_notes()
        last = self.page
        self.pages.append(OfficePage(last.width, last.height))

    def _section(self, sect: ET.Element | None) -> None:
        """The section that ends here sizes its pages and gives them their header and footer."""
        if sect is None:
            return
        pages = self.pages[self.section_start :]
        size = sect.find(q("w:pgSz"))
        if size is not None:
            w, h = size.get(q("w:w"), ""), size.get(q("w:h"), "")
            if w.isdecimal() and h.isdecimal() and int(w) > 0 and int(h) > 0:
                for page in pages:
                    page.width, page.height = int(w) * _TWIP_EMU, int(h) * _TWIP_EMU
        # A section that names no header of a kind keeps the one before it (as Word does).
        self.headers.update(self._margins(sect, "header"))
        self.footers.update(self._margins(sect, "footer"))
        titled = sect.find(q("w:titlePg")) is not None
        for k, page in enumerate(pages):
            kind = "first" if titled and k == 0 else "default"
            page.header = self.headers.get(kind) or None  # an empty header is none
            page.footer = self.footers.get(kind) or None

    def _margins(self, sect: ET.Element, kind: str) -> dict[str, str]:
        """The section's headers (or footers) by type (``default``, ``first``, ``even``)."""
        out: dict[str, str] = {}
        for ref in sect.iter(q(f"w:{kind}Reference")):
            rel = self.rels.get(ref.get(q("r:id"), ""))
            if rel is not None and not rel.external and self.pkg.has(rel.target):
                out[ref.get(q("w:type"), "default")] = plain_text(self.pkg.xml(rel.target))
        return out

    def _flush_notes(self) -> None:
        for ref in self.cited:
            self.page.blocks.append(ref)
        self.cited.clear()

    # --- body -----------------------------------------------------------------------------------

    def body(self, container: ET.Element) -> None:
        for el in container:
            self.block(el)

    def block(self, el: ET.Element) -> None:
        """One element of the body (or of a text box, a content control)."""
        if el.tag == q("w:p"):
            self.paragraph(el)
        elif el.tag == q("w:tbl"):
            self.table(el)
        elif el.tag in _WRAPPERS:
            self.body(el)

    def paragraph(self, p: ET.Element) -> None:
        ppr = p.find(q("w:pPr"))
        before = ppr.find(q("w:pageBreakBefore")) if ppr is not None else None
        if before is not None and before.get(q("w:val"), "true") not in ("0", "false"):
            self._break()
        self.prefix = self._prefix(ppr)
        para = _Para()
        self._walk(p, para)
        self._emit(para)
        sect = ppr.find(q("w:sectPr")) if ppr is not None else None
        if sect is not None:
            self._section(sect)
            if val(sect, "w:type") not in ("continuous", "nextColumn"):
                self._break()
            # The next section's pages start with the page after the one this one ended on,
            # or with this one when no break was made (a continuous section shares it).
            self.section_start = len(self.pages) - 1
        for box in para.boxes:
            self.body(box)

    def _prefix(self, ppr: ET.Element | None) -> str:
        """A heading's ``#``s, or a list item's marker or label (a numbered heading's label
        after its ``#``s: Word shows ``1.2 Scope``)."""
        style = val(ppr, "w:pStyle") or ""
        outline = val(ppr, "w:outlineLvl")
        level = self.styles.get(style, 0)
        if outline is not None and outline.isdecimal():
            level = int(outline) + 1 if int(outline) < 9 else 0
        num = ppr.find(q("w:numPr")) if ppr is not None else None
        if num is None:
            num = self.style_numbers.get(style)  # a list style numbers its paragraphs
        mark = self.numbering.prefix(num) if num is not None else ""
        if level:
            label = mark.strip()
            return "#" * min(level, 6) + " " + (label + " " if label and label != "-" else "")
        return mark

    def _emit(self, para: _Para) -> None:
        text = "".join(para.text)
        lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
        body = "\n".join(escape_headings(line) for line in lines if line)
        if body:
            self.page.blocks.append(self.prefix + body)
            self.prefix = ""
        para.text.clear()

    def _walk(self, el: ET.Element, para: _Para) -> None:
        for child in el:
            tag = child.tag
            if tag in SKIP or (tag == _W_R and _hidden(child)):
                continue
            if tag in (_W_T, MATH_T):
                para.text.append(child.text or "")
            elif tag in (q("w:tab"), q("w:ptab")):
                para.text.append(" ")
            elif tag == q("w:br"):
                kind = child.get(q("w:type"))
                if kind == "page":
                    self._emit(para)
                    self._break()
                else:
                    para.text.append(" " if kind == "column" else "\n")
            elif tag == q("w:cr"):
                para.text.append("\n")
            elif tag == q("w:noBreakHyphen"):
                para.text.append("-")
            elif tag == q("w:lastRenderedPageBreak"):
                self._emit(para)
                self._break()
            elif tag in (q("w:footnoteReference"), q("w:endnoteReference")):
                self._cite(child, para)
            elif tag == q("w:hyperlink"):
                self._link(child, para)
            elif tag == q("w:txbxContent"):
                para.boxes.append(child)
            elif tag == _RELIDS:
                self._emit(para)
                self.page.blocks.extend(diagram_items(self.pkg, self.rels, child))
            elif tag == q("a:blip") or tag == q("v:imagedata"):
                self._picture(child, para)
            elif tag in (q("wp:inline"), q("wp:anchor")):
                self.extent = _extent(child)
                self._walk(child, para)
                self.extent = None
            else:
                self._walk(child, para)

    def _cite(self, ref: ET.Element, para: _Para) -> None:
        kind = "footnotes" if ref.tag == q("w:footnoteReference") else "endnotes"
        text = self.notes[kind].get(ref.get(q("w:id"), ""))
        if text is None:
            return
        self.noted += 1
        n = self.noted
        para.text.append(f"[^{n}]")
        self.cited.append(f"[^{n}]: {text}")

    def _link(self, link: ET.Element, para: _Para) -> None:
        inner = _Para()
        self._walk(link, inner)
        para.boxes.extend(inner.boxes)
        text = "".join(inner.text)
        rel = self.rels.get(link.get(q("r:id"), ""))
        url = rel.url if rel is not None else None
        if url is not None and text.strip():
            text = f"[{text.strip()}]({url})"
            if url not in self.page.links:
                self.page.links.append(url)
        para.text.append(text)

    def _picture(self, blip: ET.Element, para: _Para) -> None:
        rid = blip.get(q("r:embed")) if blip.tag == q("a:blip") else blip.get(q("r:id"))
        rel = self.rels.get(rid or "")
        if rel is None or rel.external or rel.kind != "image":
            return  # a linked image is never fetched
        self._emit(para)
        self.page.blocks.append(Picture(rel.target, size=self.extent))

    def table(self, tbl: ET.Element) -> None:
        rows: list[list[str]] = []
        self.in_table += 1
        for tr in _children(tbl, "w:tr"):
            row: list[str] = []
            for tc in _children(tr, "w:tc"):
                row.append(plain_text(tc))
                span = val(tc.find(q("w:tcPr")), "w:gridSpan") or "1"
                row.extend([""] * (min(int(span), 64) - 1 if span.isdecimal() else 0))
            if any(c for c in row):
                rows.append(row)
        self.in_table -= 1
        if rows:
            self.page.blocks.append(Grid(rows))


def _hidden(run: ET.Element) -> bool:
    """A run set as hidden text (``w:vanish``): Word neither shows nor prints it."""
    props = run.find(q("w:rPr"))
    vanish = props.find(q("w:vanish")) if props is not None else None
    return vanish is not None and vanish.get(q("w:val"), "true") not in ("0", "false")


def _extent(drawing: ET.Element) -> tuple[int, int] | None:
    """A drawing's size on the page in EMUs (``wp:extent``)."""
    ext = drawing.find(q("wp:extent"))
    if ext is None:
        return None
    cx, cy = ext.get("cx", ""), ext.get("cy", "")
    return (int(cx), int(cy)) if cx.isdecimal() and cy.isdecimal() else None


def _children(el: ET.Element, tag: str) -> list[ET.Element]:
    """``tag`` children of ``el``, also inside content controls and custom XML wrappers."""
    out: list[ET.Element] = []
    for child in el:
        if child.tag == q(tag):
            out.append(child)
        elif child.tag in _WRAPPERS:
            out.extend(_children(child, tag))
    return out


def read_docx(pkg: Package) -> list[OfficePage]:
    """The document's pages, in order (at least one, maybe empty)."""
    reader = _Reader(pkg)
    # The body's children one at a time, each emptied once read: a 1,000-page report is never
    # held whole as a tree (w:document > w:body > its blocks, at depth 3).
    for el in pkg.elements(reader.main, depth=3):
        if el.tag == _SECT:  # the last section's properties close the body
            reader._flush_notes()
            reader._section(el)
        else:
            reader.block(el)
    reader._flush_notes()
    return reader.pages
