"""A page's Markdown from its parts: paragraphs, tables and image placeholders, top to bottom.

Placeholders follow Mistral's OCR API: ``![img-0.jpeg](img-0.jpeg)`` where an image stands and,
with ``table_format`` set, ``[tbl-0.md](tbl-0.md)`` (or ``.html``) where a table was taken out.
Numbers here count per page from 0; the provider renumbers them across the document, since
Mistral's ids are unique per response.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import tables as _tables
from .layout import Item, Paragraph, Table
from .markdown import join_lines
from .options import PageImage, PageTable

__all__ = ("PLACEHOLDER", "compose", "image_id", "image_placeholder", "with_images")

PLACEHOLDER = re.compile(r"(!?)\[((?:img|tbl)-)(\d+)(\.(?:jpeg|md|html))\]\(\2\3\4\)")
"""Matches the placeholders this module writes (for renumbering)."""


def image_id(n: int) -> str:
    """``img-0.jpeg``: the id Mistral gives the n-th image of a document."""
    return f"img-{n}.jpeg"


def image_placeholder(n: int) -> str:
    """The Markdown image link for image ``n``."""
    return f"![{image_id(n)}]({image_id(n)})"


def compose(
    items: Sequence[Item], images: Sequence[PageImage], table_format: str | None
) -> tuple[str, tuple[PageTable, ...]]:
    """Markdown of the page and the tables taken out of it (only with ``table_format``)."""
    blocks: list[tuple[int, str]] = []
    taken: list[PageTable] = []
    for item in items:
        if isinstance(item, Table):
            if table_format is None:
                text = _tables.to_markdown(item.rows)
            else:
                n = len(taken)
                taken.append(PageTable(n, _tables.render(item.rows, table_format), table_format))
                text = _tables.placeholder(_tables.table_id(n, table_format))
            blocks.append((item.top, text))
        elif isinstance(item, Paragraph):
            text = join_lines(item.lines, item.seps)
            if text:
                blocks.append((item.top, text))
    return with_images([t for _, t in blocks], [b for b, _ in blocks], images), tuple(taken)


def with_images(
    parts: Sequence[str], tops: Sequence[int] | None, images: Sequence[PageImage]
) -> str:
    """Join ``parts`` with blank lines, each image's placeholder before the first part that
    starts below the image's top (after everything when ``tops`` is ``None``)."""
    out: list[str] = []
    pending = sorted(images, key=lambda im: (im.y0, im.x0))
    for k, part in enumerate(parts):
        while pending and tops is not None and pending[0].y0 <= tops[k]:
            out.append(image_placeholder(pending.pop(0).n))
        out.append(part)
    out.extend(image_placeholder(im.n) for im in pending)
    return "\n\n".join(p for p in out if p)
