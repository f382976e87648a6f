"""Batch OCR throughput and interactive latency under a batch, on the local engine.

    .venv/bin/python bench/batch_ocr.py [--lines 40] [--scanned 10] [--size-kb 150]
                                        [--interactive 15] [--workers 2] [--json out.json]

One gateway process (``aigateway serve``, local OCR pool of ``--workers`` processes) and, in
the same run:

1. **one by one**: every document OCR'd by ``POST /v1/ocr`` with ``{"type": "file",
   "file_id": …}``, sequentially (a client waiting for each answer): documents per second;
2. **batch**: the same documents as one ``/v1/batch/jobs`` job, created to ``SUCCESS``: lines
   per second, for ``[batches] ocr_share`` 0.5 (the default: half the pool) and 1.0;
3. **interactive p50**: a one-page scan OCR'd ``--interactive`` times in a row with no batch
   (baseline), then again while a batch of the same documents runs (only probes sent while it
   runs count): p50 and the ratio to the baseline.

Documents are text-layer PDFs padded to ``--size-kb`` (incompressible padding, like a scan's
images) plus ``--scanned`` image-only pages that go through Tesseract. Figures vary with the
machine; read the ratios, which come from the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, free_port, padded_pdf, start_server
from tests.support.docgen import scanned_pdf

CONFIG = """
[limits]
max_size_upload = 20000000

[ocr_pool]
workers = {workers}

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
ocr_model_refs = ["local"]

[files]
directory = "{directory}"

[batches]
ocr_share = {share}
"""


def documents(lines: int, scanned: int, size_kb: int) -> list[tuple[str, bytes]]:
    docs = [
        (f"doc-{i}", padded_pdf(size_kb * 1024, f"Bench document number {i}"))
        for i in range(lines - scanned)
    ]
    docs += [(f"scan-{i}", scanned_pdf([f"Scanned bench page {i}"])) for i in range(scanned)]
    return docs


def upload(client: httpx.Client, name: str, data: bytes, purpose: str) -> str:
    r = client.post("/v1/files", files={"file": (name, data)}, data={"purpose": purpose})
    r.raise_for_status()
    return str(r.json()["id"])


def one_by_one(client: httpx.Client, ids: list[str]) -> float:
    started = time.perf_counter()
    for fid in ids:
        r = client.post("/v1/ocr", json={"document": {"type": "file", "file_id": fid}})
        r.raise_for_status()
    return time.perf_counter() - started


def batch(client: httpx.Client, ids: list[str]) -> tuple[float, dict[str, Any]]:
    lines = b"".join(
        json.dumps(
            {"custom_id": f"l{i}", "body": {"document": {"type": "file", "file_id": f}}}
        ).encode()
        + b"\n"
        for i, f in enumerate(ids)
    )
    input_id = upload(client, "lines.jsonl", lines, "batch")
    started = time.perf_counter()
    job = client.post("/v1/batch/jobs", json={"endpoint": "/v1/ocr", "input_files": [input_id]})
    job.raise_for_status()
    body = job.json()
    while body["status"] in ("QUEUED", "RUNNING"):
        time.sleep(0.05)
        body = client.get(f"/v1/batch/jobs/{body['id']}").json()
    return time.perf_counter() - started, body


def p50_ms(
    client: httpx.Client, n: int, pdf: bytes, while_running: threading.Thread | None = None
) -> tuple[float | None, int]:
    """Median latency of up to ``n`` sequential probes (only while ``while_running`` runs), and
    how many ran: ``None`` when none did (a batch of a few lines can end before the first)."""
    times = []
    for _ in range(n):
        if while_running is not None and not while_running.is_alive():
            break
        t0 = time.perf_counter()
        r = client.post("/v1/ocr", files={"file": ("i.pdf", pdf, "application/pdf")})
        r.raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    return (statistics.median(times) if times else None), len(times)


def run_share(args: argparse.Namespace, share: float, tmp: Path) -> dict[str, Any]:
    port = free_port()
    cfg = tmp / f"gw-{share}.toml"
    cfg.write_text(
        CONFIG.format(workers=args.workers, directory=tmp / f"data-{share}", share=share)
    )
    cmd = [PYTHON, "-m", "aigateway", "serve", "--config", str(cfg), "--port", str(port)]
    with start_server("gateway", cmd, port, tmp / f"gw-{share}.log", ready_path="/healthz") as gw:
        client = httpx.Client(base_url=gw.url, timeout=300)
        docs = documents(args.lines, args.scanned, args.size_kb)
        ids = [upload(client, name + ".pdf", data, "ocr") for name, data in docs]
        one_by_one(client, ids[:2])  # warm the pool's workers up
        seq_s = one_by_one(client, ids)
        batch_s, job = batch(client, ids)
        probe = scanned_pdf(["Interactive latency probe"])
        base_p50, _ = p50_ms(client, args.interactive, probe)
        assert base_p50 is not None  # nothing to wait for: every idle probe runs
        # The same probe while a batch of the same documents runs.
        result: dict[str, Any] = {}
        runner = threading.Thread(
            target=lambda: result.update(job=batch(httpx.Client(base_url=gw.url), ids)[1])
        )
        runner.start()
        time.sleep(0.3)
        busy_p50, probes = p50_ms(client, args.interactive, probe, runner)
        runner.join()
        client.close()
    return {
        "ocr_share": share,
        "lines": len(ids),
        "one_by_one_docs_per_s": round(len(ids) / seq_s, 2),
        "batch_lines_per_s": round(len(ids) / batch_s, 2),
        "batch_vs_one_by_one": round(seq_s / batch_s, 2),
        "batch_status": job["status"],
        "batch_succeeded": job["succeeded_requests"],
        "interactive_p50_ms_idle": round(base_p50, 1),
        "interactive_p50_ms_during_batch": None if busy_p50 is None else round(busy_p50, 1),
        "interactive_p50_ratio": None if busy_p50 is None else round(busy_p50 / base_p50, 2),
        "probes_during_batch": probes,
        "second_batch_status": result.get("job", {}).get("status"),
    }


def _cell(value: float | None) -> str:
    """A figure for the table, ``-`` for one not measured (no probe ran during the batch)."""
    return "-" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--scanned", type=int, default=10)
    parser.add_argument("--size-kb", type=int, default=150)
    parser.add_argument("--interactive", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shares", default="0.5,1.0")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="aigw-batch-bench-") as tmp:
        for share in (float(s) for s in args.shares.split(",")):
            rows.append(run_share(args, share, Path(tmp)))
    head = (
        f"{'ocr_share':>9} {'lines':>5} {'1-by-1 doc/s':>12} {'batch line/s':>12} "
        f"{'batch/1-by-1':>12} {'p50 idle ms':>11} {'p50 batch ms':>12} {'p50 ratio':>9} "
        f"{'probes':>6}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['ocr_share']:>9} {r['lines']:>5} {r['one_by_one_docs_per_s']:>12} "
            f"{r['batch_lines_per_s']:>12} {r['batch_vs_one_by_one']:>12} "
            f"{r['interactive_p50_ms_idle']:>11} {_cell(r['interactive_p50_ms_during_batch']):>12} "
            f"{_cell(r['interactive_p50_ratio']):>9} {r['probes_during_batch']:>6}"
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows}, indent=2))
    ok = all(r["batch_status"] == "SUCCESS" and r["batch_succeeded"] == r["lines"] for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
