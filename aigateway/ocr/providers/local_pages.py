"""The ``local`` engine's page results as Mistral-shaped pages.

Workers number images and tables per page from 0; Mistral numbers them per response
(``img-0.jpeg`` ... across all pages), so they are renumbered here, in page order, and
``image_limit`` is applied to the document as a whole.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from ..engine.compose import PLACEHOLDER, image_id
from ..engine.options import PageRequest, PageResult
from ..engine.tables import table_id
from ..protocol import Dimensions, OcrImage, OcrPage, PageReading

__all__ = ("to_pages",)


def _renumber(markdown: str, images: dict[int, int | None], tables: dict[int, int]) -> str:
    def sub(m: Any) -> str:
        bang, kind, n, ext = m.group(1), m.group(2), int(m.group(3)), m.group(4)
        if kind == "img-":
            new = images.get(n)
            return "" if new is None else f"{bang}[img-{new}{ext}](img-{new}{ext})"
        k = tables.get(n, n)
        return f"{bang}[tbl-{k}{ext}](tbl-{k}{ext})"

    out = PLACEHOLDER.sub(sub, markdown)
    # An image dropped by image_limit leaves an empty paragraph behind.
    while "\n\n\n\n" in out:
        out = out.replace("\n\n\n\n", "\n\n")
    return out.strip("\n")


def to_pages(
    indexes: Sequence[int], results: Sequence[PageResult], req: PageRequest
) -> list[OcrPage]:
    """One :class:`OcrPage` per result, ids unique across the document."""
    pages: list[OcrPage] = []
    n_img = n_tbl = 0
    for index, r in zip(indexes, results, strict=True):
        img_map: dict[int, int | None] = {}
        images: list[OcrImage] = []
        for im in r.images:
            if req.image_limit is not None and n_img >= req.image_limit:
                img_map[im.n] = None
                continue
            img_map[im.n] = n_img
            data = (
                "data:image/jpeg;base64," + base64.b64encode(im.jpeg).decode("ascii")
                if im.jpeg is not None
                else None
            )
            images.append(
                OcrImage(
                    id=image_id(n_img),
                    top_left_x=im.x0,
                    top_left_y=im.y0,
                    bottom_right_x=im.x1,
                    bottom_right_y=im.y1,
                    image_base64=data,
                )
            )
            n_img += 1
        tbl_map: dict[int, int] = {}
        tables: list[dict[str, Any]] = []
        for t in r.tables:
            tbl_map[t.n] = n_tbl
            tables.append(
                {"id": table_id(n_tbl, t.format), "content": t.content, "format": t.format}
            )
            n_tbl += 1
        markdown = r.markdown
        if r.images or r.tables:
            markdown = _renumber(markdown, img_map, tbl_map)
        page = OcrPage(
            index=index,
            markdown=markdown,
            images=images,
            dimensions=Dimensions(dpi=r.dpi, height=r.height, width=r.width),
            reading=PageReading(
                method=r.method,
                engine=r.engine,
                dpi_source=r.dpi_source,
                rotation=r.rotation,
                scale=r.scale,
                sharpened=r.sharpened,
                softened=r.softened,
                flattened=r.flattened,
                reread=r.reread,
                reason=r.reason,
            ),
        )
        if req.table_format is not None:
            page.tables = tables
        if r.method == "markup":  # Office files know their links, running headers and footers
            page.hyperlinks = list(r.hyperlinks)
            if req.extract_header:
                page.header = r.header
            if req.extract_footer:
                page.footer = r.footer
        pages.append(page)
    return pages
