"""Screenshots of code, through ``aigateway serve`` as shipped.

A code listing in a screenshot, dark mode or light, at 1x or 2x: a list of identifiers one a
line, whose short lines set the column's margin so that each looked wrapped beside the next
(:func:`aigateway.ocr.engine.breaks.separators`: lines of one word each are a list), and a
line Tesseract cut before a backtick, whose ink sits in the middle of its typewriter cell
(:data:`aigateway.ocr.engine.pieces.BEARING`). One real server process (uvloop, two workers),
more screenshots at once than workers, and a pixel bomb beside them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from PIL import Image, ImageDraw

from ..support.docgen import find_font, font, png_header
from ..support.served_pages import LOCAL_OCR_CONFIG, encode, found_in_order, post_ocr
from ..support.server import GatewayProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu-core"),
]

NAMES = [
    "BadRequestError",
    "ConfigError",
    "ErrorDetail",
    "ErrorEnvelope",
    "GatewayError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitError",
    "UpstreamError",
    "bounded_code",
    "error_body",
]

LISTING = [
    "IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE.",
    "",
    "__all__ = (",
    *(f'    "{n}",' for n in NAMES),
    ")",
    "",
    "class GatewayError(Exception):",
    '    """Base of every error a caller sees. Subclasses set ``status`` and ``type``."""',
    "",
    "    status: ClassVar[int] = 500",
    '    type: ClassVar[str] = "server_error"',
    "",
    "    def __init__(self, message: str, *, param: str | None = None) -> None:",
    "        super().__init__(message)",
    "        self.message = message",
]


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


def _screenshot(scale: float, dark: bool) -> Image.Image:
    """The listing as an editor window shows it: 13 px monospace at ``scale`` (a display's 1.5x or 2x), 1.5
    line spacing, light on a dark theme or dark on a light one, strings and keywords in their
    colours, under a title bar and over a status bar."""

    def px(v: float) -> int:
        return round(v * scale)

    face, small = font(px(13), "DejaVuSansMono.ttf"), font(px(11), "DejaVuSans.ttf")
    bg, fg = ((13, 17, 23), (201, 209, 217)) if dark else ((255, 255, 255), (36, 41, 47))
    string, keyword = ((165, 214, 255), (255, 123, 114)) if dark else ((10, 48, 105), (207, 34, 46))
    width, height = px(1280), px(800)
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    bar = (22, 27, 34) if dark else (246, 248, 250)
    draw.rectangle((0, 0, width, px(34)), fill=bar)
    draw.text((px(16), px(10)), "errors.py - aigateway", font=small, fill=fg)
    draw.rectangle((0, height - px(26), width, height), fill=(31, 111, 235))
    draw.text((px(16), height - px(20)), "main  Ln 12, Col 4  UTF-8", font=small, fill=255)
    for k, text in enumerate(LISTING):
        x, y = float(px(40)), px(60 + 22 * k)
        for token in text.split(" "):
            colour = fg
            if token.startswith(('"', "'")):
                colour = string
            elif token in ("class", "def", "None", "self"):
                colour = keyword
            draw.text((x, y), token, font=face, fill=colour)
            x += face.getlength(token + " ")
    return img


def test_code_screenshots_keep_a_list_of_names_line_by_line(gateway: GatewayProcess) -> None:
    docs = [
        encode(_screenshot(2, dark=True), "PNG"),
        encode(_screenshot(2, dark=False), "PNG", dpi=144),
        encode(_screenshot(1.5, dark=True), "JPEG", quality=90),
    ]
    bomb = "data:image/png;base64," + base64.b64encode(png_header(100_000, 100_000)).decode()
    body = {"model": "local", "document": {"type": "image_url", "image_url": bomb}}
    with ThreadPoolExecutor(len(docs) + 1) as ex:
        answers = list(ex.map(lambda doc: post_ocr(gateway, doc), docs))
        hostile = ex.submit(httpx.post, f"{gateway.url}/v1/ocr", json=body, timeout=300).result()
    assert hostile.status_code == 413, hostile.text
    assert hostile.json()["error"]["param"] == "document", hostile.text
    want = " ".join(LISTING).split()
    for r in answers:
        assert r.status_code == 200, r.text
        text = r.json()["pages"][0]["markdown"]
        assert found_in_order(text, want) >= 0.85, text
        lines = [ln.strip() for ln in text.splitlines()]
        # Before: '"BadRequestError", "ConfigError", "ErrorDetail", ...' on one line.
        on_own_line = sum(f'"{n}",' in lines for n in NAMES)
        assert on_own_line >= len(NAMES) - 1, text
