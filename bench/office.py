"""Office files read by the built-in engine against the libraries that wrote them.

    .venv/bin/python bench/office.py [--scale 1.0]

Three large files are made (a Word report of 300 pages with a table on each, a deck of 200
slides with a table and a picture each, a workbook of a million cells); each is read in a fresh
process, once by the engine (every page through ``probe`` and ``read_page``, as a pool worker
reads them, text and tables as Markdown) and once by the library that wrote it (python-docx,
python-pptx, openpyxl in read-only mode: the text of every paragraph, shape and cell, no
Markdown). Printed per file: its size, seconds and peak RSS of each, and the engine's ratios.
The libraries are a baseline of what reading the same XML costs in Python; they produce less
(no tables, pages or lists).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def make_docx(pages: int) -> bytes:
    import docx

    d = docx.Document()
    for n in range(pages):
        d.add_heading(f"Chapter {n + 1}", level=1)
        for k in range(6):
            d.add_paragraph(
                f"Paragraph {k} of chapter {n + 1}: the quarterly figures are set out below, "
                "region by region, with the totals carried over from the chapter before."
            )
        d.add_paragraph("A point worth a bullet", style="List Bullet")
        t = d.add_table(rows=6, cols=4)
        for r in range(6):
            for c in range(4):
                t.cell(r, c).text = f"r{r}c{c}"
        if n < pages - 1:
            d.add_page_break()
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_pptx(slides: int) -> bytes:
    import pptx
    from PIL import Image
    from pptx.util import Inches

    pic = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 90, 160)).save(pic, format="PNG")
    p = pptx.Presentation()
    for n in range(slides):
        s = p.slides.add_slide(p.slide_layouts[5])
        s.shapes.title.text = f"Slide {n + 1}"
        tbl = s.shapes.add_table(5, 3, Inches(1), Inches(2), Inches(5), Inches(2)).table
        for r in range(5):
            for c in range(3):
                tbl.cell(r, c).text = f"{r}/{c}"
        pic.seek(0)
        s.shapes.add_picture(pic, Inches(7), Inches(2), Inches(2))
    buf = io.BytesIO()
    p.save(buf)
    return buf.getvalue()


def make_xlsx(rows: int) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("data")
    for n in range(rows):
        ws.append([f"item {n}", n, n * 1.5, "north" if n % 2 else "south", n % 7])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _engine(path: str, media: str) -> int:
    from aigateway.ocr.engine import page
    from aigateway.ocr.engine.options import EngineOptions, PageRequest, Source

    src = Source(media, path=path)
    opts = EngineOptions()
    n = page.probe(src, 50_000_000)
    return sum(len(page.read_page(src, i, opts, False, PageRequest()).markdown) for i in range(n))


def _library(path: str, media: str) -> int:
    if media == DOCX:
        import docx

        d = docx.Document(path)
        texts = [p.text for p in d.paragraphs]
        texts += [c.text for t in d.tables for row in t.rows for c in row.cells]
        return sum(map(len, texts))
    if media == PPTX:
        import pptx

        total = 0
        for slide in pptx.Presentation(path).slides:
            for shape in slide.shapes:
                if shape.has_text_frame:
                    total += len(shape.text_frame.text)
                if shape.has_table:
                    total += sum(len(c.text) for row in shape.table.rows for c in row.cells)
        return total
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    return sum(
        len(str(v)) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )


def child(which: str, path: str, media: str) -> None:
    """Run in a fresh process: read once, print seconds, peak RSS (MB) and characters."""
    import resource
    import time

    # Imports are not reading: the engine's pull in Pillow and numpy, a worker has them loaded.
    if which == "engine":
        import aigateway.ocr.engine.page  # noqa: F401
    else:
        import docx  # noqa: F401
        import openpyxl  # noqa: F401
        import pptx  # noqa: F401
    t0 = time.perf_counter()
    chars = (_engine if which == "engine" else _library)(path, media)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "chars": chars}))


def measure(which: str, path: str, media: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, path, media],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="file sizes (1.0: as described)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    cases = [
        ("docx", DOCX, make_docx(max(2, int(300 * args.scale)))),
        ("pptx", PPTX, make_pptx(max(2, int(200 * args.scale)))),
        ("xlsx", XLSX, make_xlsx(max(2, int(200_000 * args.scale)))),
    ]
    print(
        f"{'file':6} {'MB':>6} {'engine s':>9} {'lib s':>7} {'x time':>7} "
        f"{'engine MB':>10} {'lib MB':>7} {'x mem':>6}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, media, data in cases:
            path = str(Path(tmp) / f"bench.{name}")
            Path(path).write_bytes(data)
            eng, lib = measure("engine", path, media), measure("library", path, media)
            print(
                f"{name:6} {len(data) / 1e6:6.2f} {eng['seconds']:9.2f} {lib['seconds']:7.2f} "
                f"{eng['seconds'] / lib['seconds']:7.2f} {eng['peak_mb']:10.0f} "
                f"{lib['peak_mb']:7.0f} {eng['peak_mb'] / lib['peak_mb']:6.2f}"
            )


if __name__ == "__main__":
    main()
