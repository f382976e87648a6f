"""RapidOCR (PP-OCR models on onnxruntime; OpenVINO for re-reading), the optional second engine.

Installed with ``pip install aigateway[rapidocr]``. Only the models the wheel ships are used
(``use_cls=False``: the page is already turned upright by Tesseract OSD, and the line classifier
would only handle 180 degrees); nothing is downloaded. One engine per worker process, and a
second for the re-reading's recogniser where it runs on OpenVINO (:func:`runtime`).
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Sequence
from typing import Any

from PIL import Image

from .buckets import Bucketed
from .charset import charset, cut_classes, latin
from .markdown import paragraphs_to_markdown

__all__ = (
    "available",
    "read_paragraphs",
    "recognize",
    "recognize_crops",
    "warm",
)

_ENGINES: dict[str, Any] = {}


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


def _models() -> dict[str, str]:
    """The wheel's detector and recogniser model files by task, when there is one of each."""
    import rapidocr

    root = os.path.join(os.path.dirname(rapidocr.__file__), "models")
    found: dict[str, list[str]] = {"det": [], "rec": []}
    for name in sorted(os.listdir(root)):
        for task, paths in found.items():
            if name.endswith(".onnx") and f"_{task}_" in name:
                paths.append(os.path.join(root, name))
    return {task: paths[0] for task, paths in found.items() if len(paths) == 1}


@functools.cache
def runtime() -> str:
    """The runtime the re-reading's recogniser (:func:`recognize_crops`) runs on.

    ``openvino`` where it is installed: its graph API cuts the recogniser's output layer to
    the page's script (:func:`~.charset.cut_classes`), a sixth of a crop's CPU time even in
    float32 (an Intel Xeon without bfloat16, 200 crops of 18 tune pages: onnxruntime 6.45 s,
    OpenVINO with the cut 5.33-5.41 s, the same model cut by hand on onnxruntime 5.35-5.57 s:
    the cut is the saving, not the runtime); where the CPU computes in bfloat16
    (:func:`bfloat16`) it costs about half onnxruntime's time. Everywhere else
    ``onnxruntime``. Whole pages (:func:`read_paragraphs`) are always read on onnxruntime in
    float32: the detector in bfloat16 finds lines less well on scans.
    """
    try:
        import openvino  # noqa: F401
        import rapidocr  # noqa: F401
    except ImportError:
        return "onnxruntime"
    return "openvino" if "rec" in _models() else "onnxruntime"


@functools.cache
def bfloat16() -> bool:
    """Whether the re-reading's recogniser computes in bfloat16: OpenVINO's CPU plugin's
    default precision where the CPU has it (AVX-512 BF16 or AMX)."""
    if runtime() != "openvino":
        return False
    import openvino

    try:
        hint = openvino.Core().get_property("CPU", "INFERENCE_PRECISION_HINT")
    except (RuntimeError, AttributeError):
        return False
    return bool(hint == openvino.Type.bf16)


def _engine(threads: int, crops: bool = False, chars: str = "all") -> Any:
    """RapidOCR as shipped (onnxruntime), or with ``crops`` the one whose recogniser
    :func:`recognize_crops` uses (on :func:`runtime`; its detector is never loaded), its
    classes cut to ``chars`` (:func:`charset`) on OpenVINO."""
    key = "pages"
    if crops and runtime() == "openvino":
        key = "crops" if chars == "all" else f"crops-{chars}"
    if key not in _ENGINES:
        # Must be set before onnxruntime is first imported in this process.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        from rapidocr import RapidOCR

        params: dict[str, Any] = {
            "Global.use_cls": False,
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        if key.startswith("crops"):
            # The same ONNX model on OpenVINO's CPU plugin, which reads the file it is given
            # and downloads nothing.
            from rapidocr import EngineType

            params.update(
                {
                    "Rec.engine_type": EngineType.OPENVINO,
                    "Rec.model_path": _models()["rec"],
                    # One crop a batch: a batch is as wide as its widest crop, and the
                    # narrower ones' padding is computed too. Tune split, 21 pages: the
                    # re-reading's CPU time 0.105 of Tesseract's with batches of 6, 0.085
                    # with 1 (16: 0.143).
                    "Rec.rec_batch_num": 1,
                    "EngineConfig.openvino.inference_num_threads": threads,
                    "EngineConfig.openvino.performance_hint": "LATENCY",
                }
            )
        engine: Any = RapidOCR(params=params)
        if key.startswith("crops"):
            rec = engine._load_rec_model()
            if chars == "latin":
                cut_classes(rec, latin, threads)
            rec.session = Bucketed(rec.session, rec.rec_image_shape[2])
            # A word's crop may be read at its own width (:func:`recognize_crops`'s ``narrow``).
            rec.rec_image_shape = [*rec.rec_image_shape[:2], Bucketed.NARROWEST]
        _ENGINES[key] = engine
    return _ENGINES[key]


def warm(threads: int = 1, languages: Sequence[str] | None = None) -> None:
    """Load the models now rather than on the first page: the whole-page engine, and with
    ``languages`` also the recogniser :func:`recognize_crops` uses for them (about 1.1 s of
    CPU on first use: the model read, its classes cut and compiled)."""
    _engine(threads)
    if languages is not None:
        _engine(threads, True, charset(languages))


def prepare_widths(threads: int, languages: Sequence[str]) -> None:
    """Load the recogniser for ``languages`` and prepare every crop width it pads to
    (:meth:`Bucketed.prepare`), as a worker has after serving a while: for timing pages in
    their steady state (the bench), not for serving, where each width is prepared when first
    met for less CPU in all."""
    rec = _engine(threads, True, charset(languages))._load_rec_model()
    if isinstance(rec.session, Bucketed):
        rec.session.prepare(rec.rec_image_shape)


def warm_recogniser(threads: int, languages: Sequence[str]) -> None:
    """Load only the recogniser :func:`recognize_crops` uses for ``languages`` (the ``auto``
    engine's re-reading of doubtful words: most pages need it, few need the whole-page engine)."""
    _engine(threads, True, charset(languages))


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


SIDE = 2000
"""RapidOCR shrinks any image whose longer side exceeds this (``Global.max_side_len``)."""

LONG = 2.5
"""An image longer than :data:`SIDE` and than this many times its width (a till receipt, a
long screenshot) is read in tiles: shrunk whole, its print would be too small to read, and a
20,000 x 30 px strip shrinks to no height at all (RapidOCR raises ``ResizeImgError``)."""

THIN = 4.0
"""A tile longer than this many times its short side is padded with white to that shape: the
detector scales every image up until its short side is 736 px, and a 2000 x 30 px strip would
become 49,000 x 736."""


def _cuts(ink: Any, length: int) -> list[int]:
    """Where to cut an image whose ink per row (or column) along its long axis is ``ink``, into
    pieces at most ``length`` long: at the emptiest row of each piece's last quarter, so no
    line of text is cut through where a gap between lines can be found."""
    cuts, start, end = [0], 0, len(ink)
    while end - start > length:
        window = ink[start + length * 3 // 4 : start + length]
        start += length * 3 // 4 + int(window.argmin())
        cuts.append(start)
    return [*cuts, end]


def _tiles(img: Image.Image) -> list[tuple[Image.Image, int, int]]:
    """``img`` as tiles RapidOCR reads at full size, each with its offset (x, y) in ``img``."""
    import numpy as np

    w, h = img.size
    tiles = [(img, 0, 0)]
    if max(w, h) > SIDE and max(w, h) > LONG * min(w, h):
        wide = w > h
        dark = np.asarray(img.convert("L")) < 128
        cuts = _cuts(dark.sum(axis=0 if wide else 1), SIDE)
        tiles = [
            (img.crop((a, 0, b, h) if wide else (0, a, w, b)), *((a, 0) if wide else (0, a)))
            for a, b in itertools.pairwise(cuts)
        ]
    out = []
    for tile, x, y in tiles:
        tw, th = tile.size
        if max(tw, th) > THIN * min(tw, th):
            pad = Image.new(tile.mode, (max(tw, round(th / THIN)), max(th, round(tw / THIN))), 255)
            pad.paste(tile, (0, 0))
            tile = pad
        out.append((tile, x, y))
    return out


def read_paragraphs(img: Image.Image, threads: int = 1) -> tuple[list[Para], float, float]:
    """RapidOCR's paragraphs of the page, its mean line score (0-1) and median line height."""
    import numpy as np

    if img.width < 4 or img.height < 4:
        return [], 0.0, 0.0
    engine = _engine(threads)
    boxes: list[Any] = []
    texts: list[str] = []
    scores: list[float] = []
    for tile, x, y in _tiles(img.convert("L")):
        low_high: Any = tile.getextrema()  # (min, max) for a one-band image
        if low_high[0] >= 128:
            continue  # no ink: the detector would take seconds to find nothing
        result = engine(np.asarray(tile.convert("RGB")))
        found, txts = getattr(result, "boxes", None), getattr(result, "txts", None)
        if found is None or txts is None:
            continue
        boxes += [[(float(p[0]) + x, float(p[1]) + y) for p in box] for box in found]
        texts += [str(t) for t in txts]
        scores += [float(v) for v in getattr(result, "scores", None) or ()]
    if not boxes:
        return [], 0.0, 0.0
    paragraphs, line_h = _paragraphs(boxes, texts)
    score = sum(scores) / len(scores) if scores else 0.0
    return paragraphs, score, line_h


def recognize(img: Image.Image, threads: int = 1) -> str:
    """Markdown of the page read by RapidOCR (the raw engine)."""
    paragraphs, _, _ = read_paragraphs(img, threads)
    return paragraphs_to_markdown([p for p, _, _ in paragraphs])


def recognize_crops(
    crops: list[Image.Image],
    threads: int = 1,
    languages: Sequence[str] = ("eng",),
    narrow: bool = False,
    every_class: bool = False,
) -> list[tuple[str, float]]:
    """RapidOCR's recogniser alone (no detector) on text-line crops: text and score (0-1)
    each, the characters those of the page's Tesseract ``languages`` (:func:`charset`).

    ``narrow``: crops narrower than the recogniser's 320 px input (words) are read at their
    own width (at least :attr:`Bucketed.NARROWEST`) rather than padded to it (OpenVINO
    only): for the passes that keep only a swap
    of look-alikes or a lost glyph's word. 200 crops of 18 tune pages: 14 % less CPU, 16 texts
    changed, most for the better (``POF``/``PDF``, ``valuc``/``value``); but on a line's
    stretch a narrow reading loses spaces (``c1, C2, . . . , Cn`` read ``c1,c2,...,Cn``):
    225 tune pages 10100 to 10114 edits with every crop narrow.

    ``every_class``: crops of ink that may not be text at all (:mod:`.orphans`: ink no word
    covers, grain among it), read by the whole-page engine's recogniser (onnxruntime, every
    class of the model), not the one cut to the page's script, whose softmax over a tenth of
    the classes scores grain read as Latin letters sure enough to keep (report split, grainy
    pages: 29 edits against 126 with the cut model, on both machines)."""
    import numpy as np
    from rapidocr.ch_ppocr_rec import TextRecInput

    if not crops:
        return []
    if every_class:
        rec = _engine(threads)._load_rec_model()  # loaded by warm() already: no second model
    else:
        rec = _engine(threads, crops=True, chars=charset(languages))._load_rec_model()
    bucketed = isinstance(rec.session, Bucketed)
    if bucketed:
        width = Bucketed.NARROWEST if narrow else rec.session.width
        rec.rec_image_shape = [*rec.rec_image_shape[:2], width]
    arrays = [np.asarray(c.convert("RGB")) for c in crops]
    # OpenVINO's engine reads one crop a batch already (``Rec.rec_batch_num``); on onnxruntime,
    # one crop a call as well: a batch is as wide as its widest crop and the narrower ones'
    # padding is computed too (860 tune crops: 17.0 s of CPU one at a time, 19.0 s in the
    # shipped batches of 6).
    batches = [arrays] if bucketed else [[a] for a in arrays]
    found: list[tuple[str, float]] = []
    for batch in batches:
        out = rec(TextRecInput(img=batch))
        txts = out.txts or ()
        found += [(str(t), float(s)) for t, s in zip(txts, out.scores, strict=False)]
    return found
