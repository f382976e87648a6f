"""What an Office file's page holds once its XML is read, and how it becomes a page result.

Readers (:mod:`.docx`, :mod:`.pptx`, :mod:`.xlsx`) turn a package into :class:`OfficePage`
objects: Markdown paragraphs, tables as rows of cells and pictures (a part of the package and,
where the format places it, its box on the page). :func:`render` makes the same
:class:`~aigateway.ocr.engine.options.PageResult` a PDF page's text layer gives: tables inline
or taken out by ``table_format``, image placeholders where the pictures stand, images encoded as
JPEG when asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PIL import Image

from ... import pdf
from .. import tables as _tables
from ..compose import image_placeholder
from ..images import encode_jpeg
from ..options import PageImage, PageRequest, PageResult, PageTable
from .package import MAX_MEDIA, Package

__all__ = ("EMU_PER_INCH", "Grid", "OfficePage", "Picture", "render")

EMU_PER_INCH = 914_400
"""English Metric Units: DrawingML's unit of length."""

_ITEM = re.compile(r"^( *)(- |\d+\. )")
"""A Markdown list item's start: its indent and its marker."""


@dataclass
class Grid:
    """A table: rows of cell texts (the first row is the header)."""

    rows: list[list[str]]


@dataclass
class Picture:
    """An embedded image: its part in the package, its box in EMUs when the format places it
    (a slide), else its size in EMUs when known (a Word document's flowing picture)."""

    part: str
    box: tuple[int, int, int, int] | None = None
    size: tuple[int, int] | None = None


Block = str | Grid | Picture
"""A Markdown paragraph, a table or a picture."""


@dataclass
class OfficePage:
    """One page (a Word page, a slide, a sheet) in reading order, and its size in EMUs."""

    width: int
    height: int
    blocks: list[Block] = field(default_factory=list)
    header: str | None = None
    """The page's running header (a Word section's), when the format has one."""
    footer: str | None = None
    links: list[str] = field(default_factory=list)
    """The URLs the page's hyperlinks point at, in order, once each."""

    def has_content(self) -> bool:
        """True once anything but empty text stands on the page."""
        return any(not isinstance(b, str) or b.strip() for b in self.blocks)


def _image(package: Package, part: str, max_pixels: int) -> Image.Image | None:
    """The picture decoded, or ``None`` when it is missing, too large or not a raster image
    Pillow reads (a Windows metafile, say): a figure that cannot be shown is not an error."""
    try:
        data = package.read(part, MAX_MEDIA)
        img = pdf.open_image(data, max_pixels)
        img.load()
    except Exception:
        return None
    return img


def _images(
    page: OfficePage, package: Package, scale: float, req: PageRequest, max_pixels: int
) -> dict[int, PageImage]:
    """The page's pictures as :class:`PageImage`, by block index (``image_limit`` and
    ``image_min_size`` applied per page; the provider applies the limit per document)."""
    out: dict[int, PageImage] = {}
    if not req.include_images or req.image_limit == 0:
        return out
    width, height = round(page.width * scale), round(page.height * scale)
    for k, block in enumerate(page.blocks):
        if not isinstance(block, Picture):
            continue
        if req.image_limit is not None and len(out) >= req.image_limit:
            break
        img = _image(package, block.part, max_pixels)
        if img is None:
            continue
        # A flowing document places nothing: its pictures stand at the top left, at their
        # size on the page (or their own, when the file gives none).
        box = block.box or (0, 0, *(block.size or (0, 0)))
        x0, y0, x1, y1 = (round(v * scale) for v in box)
        if block.box is None and block.size is None:
            x1, y1 = img.size
        x0, y0 = max(0, min(x0, width)), max(0, min(y0, height))
        x1, y1 = max(x0, min(x1, width)), max(y0, min(y1, height))
        if req.image_min_size and min(x1 - x0, y1 - y0) < req.image_min_size:
            continue
        out[k] = PageImage(len(out), x0, y0, x1, y1, jpeg=encode_jpeg(img))
    return out


def _same_list(last: str, block: str) -> bool:
    """True when ``block`` goes on the list ``last`` ends: a bullet after a bullet, a number
    after a number, or any item nested in or out of the one before."""
    a, b = _ITEM.match(last), _ITEM.match(block)
    if a is None or b is None:
        return False
    if a.group(1) != b.group(1):
        return True
    return (a.group(2) == "- ") == (b.group(2) == "- ")


def render(
    page: OfficePage, package: Package, dpi: int, req: PageRequest, max_pixels: int
) -> PageResult:
    """The page as Markdown (its tables and images as ``req`` asks) at ``dpi``."""
    scale = dpi / EMU_PER_INCH
    images = _images(page, package, scale, req, max_pixels)
    parts: list[str] = []
    taken: list[PageTable] = []
    for k, block in enumerate(page.blocks):
        if isinstance(block, Picture):
            if k in images:
                parts.append(image_placeholder(images[k].n))
        elif isinstance(block, Grid):
            if not block.rows:
                continue
            if req.table_format is None:
                parts.append(_tables.to_markdown(block.rows))
            else:
                n = len(taken)
                fmt = req.table_format
                taken.append(PageTable(n, _tables.render(block.rows, fmt), fmt))
                parts.append(_tables.placeholder(_tables.table_id(n, fmt)))
        elif block.strip():
            if parts and _same_list(parts[-1].rsplit("\n", 1)[-1], block):
                parts[-1] += "\n" + block  # one list, not a list per item
            else:
                parts.append(block)
    return PageResult(
        markdown="\n\n".join(parts),
        dpi=dpi,
        width=round(page.width * scale),
        height=round(page.height * scale),
        method="markup",
        dpi_source="layout",
        header=page.header,
        footer=page.footer,
        hyperlinks=tuple(page.links),
        tables=tuple(taken),
        images=tuple(images[k] for k in sorted(images)),
    )
