"""Self-contained HTML pages built once from package files: no CDN, no inline-script risk.

A page's HTML template names its stylesheet and script with ``{{style}}`` and ``{{script}}``
and its start-up data with ``{{data}}``; :func:`build_page` inlines them, so the page works
offline and under any mount prefix (no asset URL to resolve). The page is served with a
Content-Security-Policy that allows exactly those inline blocks (by SHA-256), images from
``data:``/``blob:`` URLs and the page's own origin, and requests to that origin only: even a
rendering bug could not run injected script or send a key elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import msgspec

__all__ = ("Page", "build_page")


@dataclass(frozen=True)
class Page:
    """A rendered page: its bytes and the headers to serve them with."""

    body: bytes
    headers: dict[str, str]


_MARKER = re.compile(r"\{\{(style|script|data)\}\}")


def _read(package: str, name: str) -> str:
    return resources.files(package).joinpath(*name.split("/")).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def build_page(
    package: str,
    template: str,
    *,
    scripts: tuple[str, ...],
    styles: tuple[str, ...],
    data: Any,
) -> Page:
    """Inline ``styles`` and ``scripts`` (files of ``package``) and ``data`` into ``template``.

    ``data`` is encoded as JSON inside a ``<script type="application/json">`` block (never
    executed); every ``<`` is escaped so no string in it can close the block.
    """
    html = _read(package, template)
    style = "\n".join(_read(package, s) for s in styles)
    script = "\n".join(_read(package, s) for s in scripts)
    # "<" only occurs inside JSON strings, where \u003c means the same: no "</script>" or
    # "<!--" can end or confuse the block.
    payload = msgspec.json.encode(data).decode().replace("<", "\\u003c")
    for marker in ("{{style}}", "{{script}}", "{{data}}"):
        if html.count(marker) != 1:
            raise ValueError(f"{package}/{template}: expected one {marker}")
    parts = {"style": style, "script": script, "data": payload}
    # One pass, so a marker-like string inside the data or a file is never expanded.
    html = _MARKER.sub(lambda m: parts[m.group(1)], html)
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {_sha256(script)}",
            f"style-src {_sha256(style)}",
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    headers = {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-cache",
    }
    return Page(html.encode(), headers)
