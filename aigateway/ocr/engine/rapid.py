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

__all__ = ("available", "recognize", "warm")

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


def _paragraphs(boxes: Any, texts: Any) -> list[list[str]]:
    """Group detected text lines into rows, rows into paragraphs (by vertical gaps)."""
    items = []
    for box, text in zip(boxes, texts, strict=False):
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        items.append((min(ys), max(ys), min(xs), str(text)))
    if not items:
        return []
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
    paragraphs: list[list[str]] = []
    prev_bottom: float | None = None
    for row in rows:
        row.sort(key=lambda t: t[2])
        text = " ".join(t[3] for t in row)
        top = min(t[0] for t in row)
        if prev_bottom is None or top - prev_bottom > 0.8 * line_h:
            paragraphs.append([])
        paragraphs[-1].append(text)
        prev_bottom = max(t[1] for t in row)
    return paragraphs


def recognize(img: Image.Image, threads: int = 1) -> str:
    """Markdown of the page read by RapidOCR."""
    import numpy as np

    engine = _engine(threads)
    result = engine(np.asarray(img.convert("RGB")))
    boxes = getattr(result, "boxes", None)
    texts = getattr(result, "txts", None)
    if boxes is None or texts is None:
        return ""
    return paragraphs_to_markdown(_paragraphs(boxes, texts))
