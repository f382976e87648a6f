"""What a page task is told (:class:`EngineOptions`, :class:`PageRequest`), where the document
is (:class:`Source`) and what it answers (:class:`PageResult`). Plain frozen dataclasses: they
are pickled to and from the workers, so they stay small (an extracted image travels as its JPEG
bytes, never the whole document).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = (
    "ENGINES",
    "EngineOptions",
    "PageImage",
    "PageRequest",
    "PageResult",
    "PageTable",
    "Source",
)

ENGINES = ("auto", "tesseract", "rapidocr")
"""``auto``: Tesseract with the layout pass, RapidOCR for pages Tesseract cannot read (when
installed); ``tesseract`` / ``rapidocr``: one engine for every page."""


@dataclass(frozen=True)
class Source:
    """Where a worker finds the document: ``data`` (tiny) or ``path`` (anything larger)."""

    media_type: str
    data: bytes | None = None
    path: str | None = None
    password: str | None = None

    def input(self) -> bytes | str:
        """What pdfium / Pillow open: the bytes or the path."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path


@dataclass(frozen=True)
class EngineOptions:
    """How to read a page (validated by the provider from the entity's ``options``)."""

    engine: str = "tesseract"
    languages: tuple[str, ...] = ("eng",)
    dpi: int = 300
    detect_orientation: bool = True
    osd_min_confidence: float = 2.0
    osd_below_confidence: int = 85
    """Tesseract mean confidence under which a page gets second chances (rotation, cleaning)."""
    trust_invisible_text: bool = True
    layout: bool = True
    """Run the layout pass (tables as grids) on OCR'd pages; off gives Tesseract's own order."""
    deskew: bool = True
    """Level a page skewed by :data:`~.deskew.MIN_ANGLE` to :data:`~.deskew.MAX_ANGLE` degrees
    before reading it (:mod:`.deskew`), and cut a photographed sheet from the surface around it
    and warp it flat first (:mod:`.paper`)."""
    sharpen: bool = True
    """Sharpen a page whose glyph edges are soft (:func:`~.textsize.crisp` fails: a scan, a
    JPEG, a low-DPI page) before Tesseract reads it (:func:`~.preprocess.sharpen`), and soften
    a bilevel page's staircase edges (:func:`~.preprocess.soften`)."""
    rescale: str = "auto"
    """Resize a page whose text is far from the height Tesseract reads best before it reads it
    (:mod:`.textsize`): ``"auto"`` enlarges small text and shrinks large text whose glyphs are
    crisp (:func:`~.textsize.crisp`), ``"enlarge"`` small text only, ``"both"`` also shrink
    any large text (worse on degraded scans), ``"off"``."""
    reread_below: float = 0.0
    """With ``engine = "auto"`` and RapidOCR installed: Tesseract words under this confidence
    (0-100) are read again by RapidOCR's recogniser (:mod:`.reread`); 0 turns it off. The other
    passes ``auto`` runs with the recogniser (:mod:`.glyphcolumns`, :mod:`.orphans`) do not
    depend on it."""
    max_pixels: int = 50_000_000
    threads: int = 1
    dpi_assumed: bool = False
    """Set by the worker for one page, never configured: the page is an image without a DPI
    tag, read as :attr:`dpi`, so the resolution Tesseract is told follows its text's height
    instead (:func:`~.textsize.told_dpi`)."""


@dataclass(frozen=True)
class PageRequest:
    """Per-request choices that shape a page's output (Mistral's request fields)."""

    table_format: str | None = None
    """``None``: tables inline as Markdown; ``"markdown"`` / ``"html"``: tables moved out into
    :attr:`PageResult.tables`, a ``[tbl-N.md](tbl-N.md)`` link left in their place."""
    include_images: bool = False
    """Extract a PDF page's embedded images (``![img-N.jpeg](img-N.jpeg)`` in the Markdown)."""
    image_limit: int | None = None
    image_min_size: int | None = None
    extract_header: bool = False
    """Return the page's running header apart (Office files: a Word section's header)."""
    extract_footer: bool = False


@dataclass(frozen=True)
class PageTable:
    """A table taken out of the Markdown (``table_format`` set); ``n`` is its number on the page."""

    n: int
    content: str
    format: str


@dataclass(frozen=True)
class PageImage:
    """An embedded image: its number on the page, box in page pixels, JPEG bytes."""

    n: int
    x0: int
    y0: int
    x1: int
    y1: int
    jpeg: bytes | None


@dataclass(frozen=True)
class PageResult:
    """One page read by a worker."""

    markdown: str
    dpi: int
    width: int
    height: int
    method: str
    """``"text_layer"`` (the PDF's own text), ``"ocr"`` or ``"markup"`` (an Office file's XML)."""
    engine: str | None = None
    """The recogniser that read an OCR'd page: ``"tesseract"`` or ``"rapidocr"``."""
    dpi_source: str = "render"
    """``"render"`` (a PDF page rendered at :attr:`dpi`), ``"metadata"`` (the image's own DPI
    tag), ``"estimated"`` (an image without one: estimated from its text height) or ``"layout"``
    (an Office file's page size at :attr:`EngineOptions.dpi`)."""
    rotation: int = 0
    """Counter-clockwise degrees the page was turned before recognition."""
    scale: float = 1.0
    """The factor the page was resized by before recognition (:mod:`.textsize`)."""
    sharpened: bool = False
    """Tesseract read a sharpened copy of the page (soft glyph edges, ``sharpen``)."""
    softened: bool = False
    """Tesseract read a softened copy of a bilevel page (``sharpen``)."""
    flattened: bool = False
    """The image was a photographed sheet, found on the surface around it and warped flat
    before it was read (:mod:`.paper`)."""
    reread: int = 0
    """Stretches of doubtful words RapidOCR's recogniser read again and replaced (``auto``)."""
    reason: str | None = None
    """Why a PDF page's text layer was not used, when it was OCR'd."""
    tables: tuple[PageTable, ...] = ()
    images: tuple[PageImage, ...] = ()
    header: str | None = None
    """A Word page's running header (its section's); ``None`` for other pages."""
    footer: str | None = None
    hyperlinks: tuple[str, ...] = ()
    """The URLs an Office page's hyperlinks point at (Mistral's ``pages[].hyperlinks``)."""
    started_ns: int = 0
    ended_ns: int = 0
    """When the worker began and finished the page (``time.time_ns()``): the server traces
    pages with the worker's own timing, not with the time they waited in the queue."""
