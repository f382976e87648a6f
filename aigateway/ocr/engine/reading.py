"""A recognised page before it is laid out: its items or Tesseract's lines, and how it was
read (engine, confidence, rotation, scale, the copies Tesseract was given)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from .layout import Item, Line

__all__ = ("Reading",)


@dataclass(frozen=True)
class Reading:
    """A recognised page: its items in reading order and how they were obtained."""

    items: list[Item]
    engine: str
    conf: float
    """Mean word confidence, 0-100."""
    rotation: int = 0
    line_height: float = 0.0
    """Median text line height in pixels (0 when no text): the basis of a DPI estimate."""
    cleanup: str | None = None
    """The :data:`~.preprocess.LADDER` step that produced this reading, if any."""
    scale: float = 1.0
    """The factor the page was resized by before it was read (:mod:`.textsize`); boxes and
    :attr:`line_height` are the page's own whatever it is."""
    sharpened: bool = False
    """Tesseract read a sharpened copy (:func:`~.preprocess.sharpen`); boxes are the page's."""
    softened: bool = False
    """Tesseract read a softened copy of a bilevel page (:func:`~.preprocess.soften`)."""
    levelled: float = 0.0
    """Degrees the page was turned by to level its lines (:mod:`.deskew`) before it was read;
    boxes are those of the levelled page."""
    skew: float = 0.0
    """Degrees of skew left on the page, too few to turn it for (:func:`.deskew.level`): the
    layout pass levels its word boxes by them (:func:`.layout.build_page`)."""
    flattened: bool = False
    """The image was a photographed sheet on a darker surface, warped flat before it was read
    (:mod:`.paper`); boxes are those of the flattened page."""
    reread: int = 0
    """Stretches of Tesseract's doubtful words, and words with a glyph Tesseract lost, whose
    reading by RapidOCR's recogniser replaced Tesseract's (:func:`.reread.reread`)."""
    source: list[tuple[Image.Image, list[Line]]] = field(default_factory=list, compare=False)
    """Tesseract's page image and lines, not yet laid out: :attr:`items` stays empty until
    :func:`.finish.finish` lays out the kept reading (empty for RapidOCR's reading, and after)."""
    uncleaned: Image.Image | None = field(default=None, compare=False)
    """For a reading of a cleaned page (:attr:`cleanup`), the page before the clean-up, the
    same size: what the recogniser re-reads doubtful words from (:data:`.reread.CLEANED_BELOW`)."""
    ruled: Image.Image | None = field(default=None, compare=False)
    """The page as read, the same size, before its vertical rules were erased: where
    :mod:`.lattice` looks for ruled grids (``None``: the page the reading was made from)."""

    @property
    def has_text(self) -> bool:
        return bool(self.items) or any(ln.words for _, lines in self.source for ln in lines)
