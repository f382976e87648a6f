"""SmartArt: the text of a diagram (an org chart, a process, a cycle) in Word and PowerPoint.

A diagram's shapes are drawn from a layout at display time; its words live in a data part
(``dgm:dataModel``) the drawing names with ``dgm:relIds r:dm``. Its points of type ``node``
(the default) hold them, in the order the author typed them; they are read as list items.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..markdown import escape_headings
from .package import Package, Rel, q

__all__ = ("DGM", "diagram_items")

DGM = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
_SPACES = re.compile(r"\s+")


def diagram_items(pkg: Package, rels: dict[str, Rel], relids: ET.Element) -> list[str]:
    """The diagram's texts as Markdown list items (none when its data part is missing)."""
    rel = rels.get(relids.get(q("r:dm"), ""))
    if rel is None or rel.external or not pkg.has(rel.target):
        return []
    items: list[str] = []
    for pt in pkg.xml(rel.target).iter(f"{{{DGM}}}pt"):
        if pt.get("type", "node") != "node":
            continue
        body = pt.find(f"{{{DGM}}}t")
        if body is None:
            continue
        for p in body.iter(q("a:p")):
            text = _SPACES.sub(" ", "".join(t.text or "" for t in p.iter(q("a:t")))).strip()
            if text:
                items.append("- " + escape_headings(text))
    return items
