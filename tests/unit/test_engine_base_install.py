"""The local engine runs on the base install: every package it imports is a base dependency.

``pip install aigateway`` without extras must read a page (Tesseract alone, ``auto`` falling
back to it). Until the seventeenth round numpy was imported by the ink grids of every reading
(:mod:`aigateway.ocr.engine.ink`) but came only with the ``rapidocr`` extra, so a base install
failed on every OCR page. A subprocess hides the extras' packages the way a missing package
looks to an import, reads a skewed, soft page (levelling, sharpening and the re-reading
passes all run) and a scanned PDF page with its picture extracted, and reports the third-party distributions the reading loaded (imports inside
the engine's functions); each must be a base dependency in ``pyproject.toml`` or one of
theirs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

EXTRAS_ONLY = ("rapidocr", "onnxruntime", "openvino", "cv2", "redis", "opentelemetry")

_READ = """
import json, sys
from importlib.metadata import packages_distributions
for name in {hidden!r}:
    sys.modules[name] = None
from PIL import ImageFilter
from aigateway.ocr.engine import reader
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine import page as pages
from aigateway.ocr.engine.options import PageRequest, Source
from tests.support.docgen import render_text, scanned_pdf
before = set(sys.modules)
text = "Every page the gateway reads is checked, levelled and read again where in doubt. " * 12
page = render_text(text, size=34, min_height=1400).rotate(2.0, expand=True, fillcolor=255)
reading = reader.read_image(page.filter(ImageFilter.GaussianBlur(1.0)), 300, EngineOptions())
# A scanned PDF page too: rendered by pdfium, its picture extracted as Mistral returns it.
pdf = Source("application/pdf", data=scanned_pdf([text[:400]]))
request = PageRequest(table_format="html", include_images=True)
result = pages.read_page(pdf, 0, EngineOptions(engine="auto"), False, request)
assert result.method == "ocr" and "gateway" in result.markdown, result.markdown
dists = packages_distributions()
loaded = sorted(
    {{d for m in set(sys.modules) - before for d in dists.get(m.split(".")[0], [])}}
)
print(json.dumps({{"engine": reading.engine, "items": len(reading.items), "dists": loaded}}))
"""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(requirement: str) -> str:
    return _norm(re.split(r"[<>=!~;\[ (]", requirement.strip(), maxsplit=1)[0])


def _with_their_dependencies(names: set[str]) -> set[str]:
    """``names`` and everything they require, transitively (extras' requirements left out)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [
            _name(r) for r in requires if "extra ==" not in r.replace('"', "").replace("'", "")
        ]
    return seen


def _base_dependencies() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {_name(dep) for dep in project["dependencies"]}


def test_the_engine_reads_a_page_with_base_dependencies_only() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _READ.format(hidden=EXTRAS_ONLY)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["engine"] == "tesseract" and out["items"] >= 1, out
    # A base dependency's own dependencies come with it; anything else loaded is undeclared
    # (this package itself and pip's tooling aside).
    base = _with_their_dependencies(_base_dependencies())
    missing = {_norm(d) for d in out["dists"]} - base - {"aigateway", "pip", "setuptools"}
    assert not missing, f"imported by the engine but not base dependencies: {sorted(missing)}"
