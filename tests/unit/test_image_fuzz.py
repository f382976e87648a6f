"""Images with bytes flipped anywhere decode or fail with a 4xx: never another exception.

Each accepted image type is written small, a few of its bytes changed (headers included), and
opened as a page task opens it (``page.probe``, then each frame decoded, turned and converted as
before recognition). Damaged files once were 500s: an AVIF's ``RuntimeError`` ("Failed to
decode frame 0"), and a TIFF frame's ``SyntaxError``, ``KeyError`` or ``TypeError`` while its
frames were counted.
"""

from __future__ import annotations

import functools
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.errors import GatewayError
from aigateway.ocr.engine import page
from aigateway.ocr.engine.options import Source
from tests.support.docgen import render_text

FORMATS = {
    "image/png": ("PNG", {}),
    "image/jpeg": ("JPEG", {"quality": 80}),
    "image/gif": ("GIF", {}),
    "image/webp": ("WEBP", {}),
    "image/tiff": ("TIFF", {"compression": "tiff_deflate"}),
    "image/bmp": ("BMP", {}),
    "image/heic": ("HEIF", {}),
    "image/avif": ("AVIF", {}),
}


@functools.cache
def _image(media: str) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    img = render_text("Flipped bytes in every decoder", width=240).convert("RGB")
    fmt, kw = FORMATS[media]
    buf = io.BytesIO()
    extra = {"save_all": True, "append_images": [img]} if fmt == "TIFF" else {}
    img.save(buf, format=fmt, **kw, **extra)  # type: ignore[arg-type]
    return buf.getvalue()


# Pillow warns of what it reads past (a TIFF tag past the file's end, one with too many
# entries) and reads on: a warning, not a failure (the suite turns warnings into errors).
@pytest.mark.filterwarnings("ignore::UserWarning:PIL")
@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    media=st.sampled_from(sorted(FORMATS)),
    flips=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6
    ),
)
def test_damaged_images_decode_or_are_4xx(media: str, flips: list[tuple[float, int]]) -> None:
    data = bytearray(_image(media))
    for where, value in flips:
        data[int(where * len(data))] = value
    src = Source(media, data=bytes(data))
    try:
        for k in range(min(page.probe(src, 50_000_000), 2)):
            page._load_image(src, k, 50_000_000)
    except GatewayError as exc:
        assert 400 <= exc.status < 500
