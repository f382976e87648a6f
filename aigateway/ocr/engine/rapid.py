"""RapidOCR (PP-OCR models on onnxruntime), the optional second engine.

Installed with ``pip install aigateway[rapidocr]``. Only the models the wheel ships are used
(``use_cls=False``: the page is already turned upright by Tesseract OSD, and the line classifier
would only handle 180 degrees); nothing is downloaded. One engine per worker process.
"""

from __future__ import annotations

import os
from typing import Any

from PIL import Image

from .markdown import paragraphs_to_markdown

__all__ = (
    "available",
    "read_paragraphs",
    "recognize",
    "recognize_crops",
    "warm",
)

_ENGINE: list[Any] = []


def available() -> str | None:
    """``None`` when rapidocr and its bundled models can be used, else why not."""
    try:
        import rapidocr
    except ImportError as exc:
        return f"rapidocr is not installed ({exc}); pip install 'aigateway[rapidocr]'"
    models = os.path.join(os.path.dirname(rapidocr.__file__), "models")
    if not os.path.isdir(models) or not any(f.endswith(".onnx") for f in os.listdir(models)):
        return "the installed rapidocr wheel ships no models (they would have to be downloaded)"
    return None


def _engine(threads: int) -> Any:
    if not _ENGINE:
        # Must be set before onnxruntime is first imported in this process.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        from rapidocr import RapidOCR

        _ENGINE.append(
            RapidOCR(
                params={
                    "Global.use_cls": False,
                    "Global.log_level": "error",
                    "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
            )
        )
    return _ENGINE[0]


def warm(threads: int = 1) -> None:
    """Load the models now rather than on the first page."""
    _engine(threads)


Para = tuple[list[str], int, int]
"""A paragraph's lines, top and bottom in pixels."""


def _paragraphs(boxes: Any, texts: Any) -> tuple[list[Para], float]:
    """Group detected text lines into rows, rows into paragraphs (by vertical gaps).

    Returns the paragraphs and the median row height (0 when nothing was detected).
    """
    items = []
    for box, text in zip(boxes, texts, strict=False):
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        items.append((min(ys), max(ys), min(xs), str(text)))
    if not items:
        return [], 0.0
    items.sort(key=lambda t: (t[0], t[2]))
    rows: list[list[tuple[float, float, float, str]]] = []
    for it in items:
        # Same row when the vertical centre lies within the previous row's band.
        if rows:
            top, bottom = rows[-1][0][0], rows[-1][0][1]
            centre = (it[0] + it[1]) / 2
            if top <= centre <= bottom:
                rows[-1].append(it)
                continue
        rows.append([it])
    heights = sorted(r[0][1] - r[0][0] for r in rows)
    line_h = max(heights[len(heights) // 2], 1.0)
    paragraphs: list[Para] = []
    prev_bottom: float | None = None
    for row in rows:
        row.sort(key=lambda t: t[2])
        text = " ".join(t[3] for t in row)
        top = min(t[0] for t in row)
        bottom = max(t[1] for t in row)
        if prev_bottom is None or top - prev_bottom > 0.8 * line_h:
            paragraphs.append(([], round(top), round(bottom)))
        lines, first, _ = paragraphs[-1]
        lines.append(text)
        paragraphs[-1] = (lines, first, round(bottom))
        prev_bottom = bottom
    return paragraphs, line_h


def read_paragraphs(img: Image.Image, threads: int = 1) -> tuple[list[Para], float, float]:
    """RapidOCR's paragraphs of the page, its mean line score (0-1) and median line height."""
    import numpy as np

    if img.width < 4 or img.height < 4:
        return [], 0.0, 0.0
    engine = _engine(threads)
    result = engine(np.asarray(img.convert("RGB")))
    boxes = getattr(result, "boxes", None)
    texts = getattr(result, "txts", None)
    scores = getattr(result, "scores", None)
    if boxes is None or texts is None:
        return [], 0.0, 0.0
    paragraphs, line_h = _paragraphs(boxes, texts)
    score = float(sum(scores) / len(scores)) if scores else 0.0
    return paragraphs, score, line_h


def recognize(img: Image.Image, threads: int = 1) -> str:
    """Markdown of the page read by RapidOCR (the raw engine)."""
    paragraphs, _, _ = read_paragraphs(img, threads)
    return paragraphs_to_markdown([p for p, _, _ in paragraphs])


def recognize_crops(crops: list[Image.Image], threads: int = 1) -> list[tuple[str, float]]:
    """RapidOCR's recogniser alone (no detector) on text-line crops: text and score (0-1) each."""
    import numpy as np
    from rapidocr.ch_ppocr_rec import TextRecInput

    if not crops:
        return []
    rec = _engine(threads)._load_rec_model()
    out = rec(TextRecInput(img=[np.asarray(c.convert("RGB")) for c in crops]))
    txts = out.txts or ()
    return [(str(t), float(s)) for t, s in zip(txts, out.scores, strict=False)]
