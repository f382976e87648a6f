"""A PowerPoint deck (PPTX) as pages of Markdown: one page per slide, read from PresentationML.

Each slide's shapes are read top to bottom, left to right, by their boxes (a shape that does not
place itself takes the box its layout's or master's placeholder gives it): the title as a
heading, text boxes as paragraphs, the body placeholders' paragraphs as list items (as the
master draws them, unless a paragraph turns its bullet off), tables as rows of cells, SmartArt
as a list of its texts, pictures where they stand, groups taken apart. Speaker notes are not on
the slide and are left out, as are shapes hidden in the selection pane; hidden slides are read
like the others, so page ``n`` is always slide ``n + 1``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ..markdown import escape_headings
from .diagrams import DGM, diagram_items
from .model import Block, Grid, OfficePage, Picture
from .package import Package, Rel, q

__all__ = ("count_pptx", "read_pptx")

DEFAULT_SIZE = (12_192_000, 6_858_000)
"""A 16:9 slide in EMUs, PowerPoint's default when ``p:sldSz`` is missing."""

_MC_CHOICE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Choice"
_MC_ALT = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
_TITLES = frozenset({"title", "ctrTitle"})
_BULLETED = frozenset({"body", "obj"})
"""Placeholder types whose paragraphs the default masters draw as bullets."""

_SPACES = re.compile(r"[ \t\u00a0]+")

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class _Xform:
    """Maps a group's child coordinates to the slide's."""

    dx: float = 0.0
    dy: float = 0.0
    sx: float = 1.0
    sy: float = 1.0

    def box(self, xfrm: ET.Element | None) -> Box | None:
        if xfrm is None:
            return None
        off, ext = _pair(xfrm, "a:off", "x", "y"), _pair(xfrm, "a:ext", "cx", "cy")
        if off is None or ext is None:
            return None
        (x, y), (cx, cy) = off, ext
        x0, y0 = self.dx + x * self.sx, self.dy + y * self.sy
        return round(x0), round(y0), round(x0 + cx * self.sx), round(y0 + cy * self.sy)

    def child(self, xfrm: ET.Element | None) -> _Xform:
        """The transform inside a group whose ``a:xfrm`` is ``xfrm``."""
        box = self.box(xfrm)
        assert xfrm is not None
        assert box is not None
        ch_off, ch_ext = _pair(xfrm, "a:chOff", "x", "y"), _pair(xfrm, "a:chExt", "cx", "cy")
        if ch_off is None or ch_ext is None:
            return self
        (cx0, cy0), (ccx, ccy) = ch_off, ch_ext
        sx = (box[2] - box[0]) / ccx if ccx > 0 else 1.0
        sy = (box[3] - box[1]) / ccy if ccy > 0 else 1.0
        return _Xform(box[0] - cx0 * sx, box[1] - cy0 * sy, sx, sy)


def _hidden(shape: ET.Element) -> bool:
    """A shape hidden in the selection pane (``p:cNvPr hidden``): not drawn."""
    for nv in shape:
        props = nv.find(q("p:cNvPr"))
        if props is not None:
            return props.get("hidden") in ("1", "true")
    return False


def _pair(xfrm: ET.Element, tag: str, a: str, b: str) -> tuple[int, int] | None:
    """Attributes ``a`` and ``b`` of ``xfrm``'s ``tag`` child as integers (EMUs)."""
    el = xfrm.find(q(tag))
    if el is None:
        return None
    try:
        return int(el.get(a, "0")), int(el.get(b, "0"))
    except ValueError:
        return None


def _ph(shape: ET.Element) -> tuple[str | None, str | None] | None:
    """``(type, idx)`` of the placeholder ``shape`` is, or ``None``."""
    for nv in shape:
        pr = nv.find(q("p:nvPr"))
        if pr is not None:
            ph = pr.find(q("p:ph"))
            return None if ph is None else (ph.get("type", "obj"), ph.get("idx"))
    return None


class _Deck:
    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.layouts: dict[str, dict[tuple[str, str], Box]] = {}

    def placeholders(self, part: str, depth: int = 0) -> dict[tuple[str, str], Box]:
        """Boxes of a layout's (and through it its master's) placeholders, by type and idx."""
        if part in self.layouts:
            return self.layouts[part]
        out: dict[tuple[str, str], Box] = {}
        self.layouts[part] = out  # before recursing: a relationship loop ends here
        if depth < 2:
            for rel in self.pkg.rels(part).values():
                if rel.kind in ("slideLayout", "slideMaster") and self.pkg.has(rel.target):
                    out.update(self.placeholders(rel.target, depth + 1))
        tree = self.pkg.xml(part).find(f"{q('p:cSld')}/{q('p:spTree')}")
        for sp in tree.iter(q("p:sp")) if tree is not None else ():
            ph = _ph(sp)
            pr = sp.find(q("p:spPr"))
            box = _Xform().box(pr.find(q("a:xfrm")) if pr is not None else None)
            if ph is None or box is None:
                continue
            kind = "title" if ph[0] in _TITLES else ph[0] or "obj"
            out[("type", kind)] = box
            if ph[1] is not None:
                out[("idx", ph[1])] = box
        return out


BAND = 300_000
"""EMUs (a third of an inch, a line of slide text or so) within which shapes' tops count as
level: they are read left to right."""


def _reading_order(found: tuple[int, Box | None, Block]) -> tuple[int, int, int]:
    """Titles first, then top to bottom in bands, then left to right; shapes without a box
    (none found on the slide, its layout or master) last, in the order the slide lists them."""
    rank, box, _ = found
    return (rank, box[1] // BAND, box[0]) if box else (rank, 1 << 40, 0)


class _Links:
    """A slide's hyperlinks: the URL a run's ``a:hlinkClick`` names, and those used, in order."""

    def __init__(self, rels: dict[str, Rel]) -> None:
        self.rels = rels
        self.used: list[str] = []

    def url(self, rid: str) -> str | None:
        rel = self.rels.get(rid)
        url = rel.url if rel is not None else None
        if url is not None and url not in self.used:
            self.used.append(url)
        return url


class _Slide:
    def __init__(self, deck: _Deck, part: str) -> None:
        self.deck = deck
        self.rels = deck.pkg.rels(part)
        self.root = deck.pkg.xml(part)
        self.inherited: dict[tuple[str, str], Box] = {}
        for rel in self.rels.values():
            if rel.kind == "slideLayout" and deck.pkg.has(rel.target):
                self.inherited = deck.placeholders(rel.target)
        self.found: list[tuple[int, Box | None, Block]] = []
        self.links = _Links(self.rels)

    def read(self) -> list[Block]:
        tree = self.root.find(f"{q('p:cSld')}/{q('p:spTree')}")
        if tree is not None:
            self.shapes(tree, _Xform())
        return [block for _, _, block in sorted(self.found, key=_reading_order)]

    def shapes(self, tree: ET.Element, xf: _Xform) -> None:
        for shape in tree:
            tag = shape.tag
            if _hidden(shape):
                continue
            if tag == _MC_ALT:
                choice = shape.find(_MC_CHOICE)
                if choice is not None:
                    self.shapes(choice, xf)
            elif tag == q("p:sp"):
                self.text_shape(shape, xf)
            elif tag == q("p:pic"):
                self.picture(shape, xf)
            elif tag == q("p:graphicFrame"):
                self.frame(shape, xf)
            elif tag == q("p:grpSp"):
                pr = shape.find(q("p:grpSpPr"))
                xfrm = pr.find(q("a:xfrm")) if pr is not None else None
                self.shapes(shape, xf.child(xfrm) if xf.box(xfrm) else xf)

    def _box(self, shape: ET.Element, xf: _Xform, props: str = "p:spPr") -> Box | None:
        pr = shape.find(q(props))
        box = xf.box(pr.find(q("a:xfrm")) if pr is not None else None)
        ph = _ph(shape)
        if box is None and ph is not None:
            kind = "title" if ph[0] in _TITLES else ph[0] or "obj"
            box = self.inherited.get(("idx", ph[1] or "")) or self.inherited.get(("type", kind))
        return box

    def text_shape(self, shape: ET.Element, xf: _Xform) -> None:
        body = shape.find(q("p:txBody"))
        if body is None:
            return
        ph = _ph(shape)
        title = ph is not None and ph[0] in _TITLES
        bulleted = ph is not None and ph[0] in _BULLETED
        lines = _paragraphs(body, bulleted, self.links)
        if not lines:
            return
        if title:
            text = "# " + " ".join(line.strip() for line in lines)
            self.found.append((0, self._box(shape, xf), text))
        else:
            self.found.append((1, self._box(shape, xf), "\n".join(lines)))

    def picture(self, shape: ET.Element, xf: _Xform) -> None:
        blip = shape.find(f".//{q('a:blip')}")
        rel = self.rels.get(blip.get(q("r:embed"), "")) if blip is not None else None
        if rel is None or rel.external or rel.kind != "image":
            return  # a linked picture is never fetched
        box = self._box(shape, xf)
        self.found.append((1, box, Picture(rel.target, box)))

    def frame(self, shape: ET.Element, xf: _Xform) -> None:
        tbl = shape.find(f".//{q('a:tbl')}")
        if tbl is None:
            relids = shape.find(f".//{{{DGM}}}relIds")
            items = diagram_items(self.deck.pkg, self.rels, relids) if relids is not None else []
            if items:  # SmartArt; a chart is drawn, not written
                self.found.append((1, xf.box(shape.find(q("p:xfrm"))), "\n".join(items)))
            return
        rows: list[list[str]] = []
        for tr in tbl.iter(q("a:tr")):
            row: list[str] = []
            for tc in tr.iter(q("a:tc")):
                merged = tc.get("hMerge") in ("1", "true") or tc.get("vMerge") in ("1", "true")
                body = tc.find(q("a:txBody"))
                text = " ".join(_paragraphs(body, False, self.links)) if body is not None else ""
                row.append("" if merged else text)
            if any(row):
                rows.append(row)
        if rows:
            box = xf.box(shape.find(q("p:xfrm")))
            self.found.append((1, box, Grid(rows)))


def _paragraphs(body: ET.Element, bulleted: bool, links: _Links) -> list[str]:
    """The text body's paragraphs as Markdown lines (list items where bullets are drawn)."""
    out: list[str] = []
    counters: dict[int, int] = {}
    for p in body.iter(q("a:p")):
        ppr = p.find(q("a:pPr"))
        lvl = ppr.get("lvl", "") if ppr is not None else ""
        level = int(lvl) if lvl.isdecimal() else 0
        level = min(level, 8)
        text = _runs(p, links).strip()
        if not text:
            continue
        text = "\n".join(escape_headings(t.strip()) for t in text.split("\n") if t.strip())
        if ppr is not None and ppr.find(q("a:buAutoNum")) is not None:
            counters[level] = counters.get(level, 0) + 1
            for deeper in [k for k in counters if k > level]:
                del counters[deeper]
            out.append(f"{'  ' * level}{counters[level]}. {text}")
        elif (ppr is not None and ppr.find(q("a:buChar")) is not None) or (
            bulleted and (ppr is None or ppr.find(q("a:buNone")) is None)
        ):
            out.append(f"{'  ' * level}- {text}")
        else:
            out.append(text)
    return out


def _runs(p: ET.Element, links: _Links) -> str:
    parts: list[str] = []
    for child in p:
        if child.tag in (q("a:r"), q("a:fld")):
            t = child.find(q("a:t"))
            text = t.text or "" if t is not None else ""
            click = child.find(f"{q('a:rPr')}/{q('a:hlinkClick')}")
            url = links.url(click.get(q("r:id"), "")) if click is not None else None
            parts.append(f"[{text.strip()}]({url})" if url and text.strip() else text)
        elif child.tag == q("a:br"):
            parts.append("\n")
    return _SPACES.sub(" ", "".join(parts))


def _slides(pkg: Package) -> tuple[ET.Element, list[str]]:
    """The presentation part and its slides' parts, in the deck's order."""
    main = pkg.main_part()
    pres = pkg.xml(main)
    rels = pkg.rels(main)
    parts: list[str] = []
    ids = pres.find(q("p:sldIdLst"))
    for sld in ids if ids is not None else ():
        rel = rels.get(sld.get(q("r:id"), ""))
        if rel is not None and not rel.external and pkg.has(rel.target):
            parts.append(rel.target)
    return pres, parts


def count_pptx(pkg: Package) -> int:
    """The deck's pages (its slides) without reading them."""
    return len(_slides(pkg)[1])


def read_pptx(pkg: Package) -> list[OfficePage]:
    """One page per slide, in the deck's order (none for a deck without slides)."""
    pres, parts = _slides(pkg)
    width, height = DEFAULT_SIZE
    size = pres.find(q("p:sldSz"))
    if size is not None and size.get("cx", "").isdecimal() and size.get("cy", "").isdecimal():
        width, height = int(size.get("cx", "0")) or width, int(size.get("cy", "0")) or height
    deck = _Deck(pkg)
    pages = []
    for part in parts:
        slide = _Slide(deck, part)
        pages.append(OfficePage(width, height, slide.read(), links=slide.links.used))
    return pages
