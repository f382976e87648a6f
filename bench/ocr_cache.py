"""What the OCR result cache buys: requests per second of a cache hit against a miss.

One command::

    .venv/bin/python bench/ocr_cache.py [--duration S] [--rounds N] [--sizes 1024,1048576]

The nginx mock upstream (``mock_upstream.py``, a fixed Mistral OCR answer) on core 1 with wrk;
one gateway (1 worker, pinned to core 0) with two entities on the mock, ``mistral`` with
``cache = true`` (memory backend) and ``plain`` without. Per document size, in the same run:

* **mock**: the mock directly (the floor the gateway adds to);
* **no cache**: the uncached entity, every request a document never sent before;
* **miss**: the cached entity, every request a new document (``unique_ocr.lua``): hashing,
  a lookup, the upstream call, storing the answer;
* **hit**: the cached entity, the same document every time (answered from memory).

The variants take turns ``--rounds`` times; medians of rps, p50 and the gateway's CPU ms per
request are printed with the ratios hit/miss and miss/no cache.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from common import GATEWAY_CPU, LOAD_CPU, PYTHON, cpu_seconds, free_port, pin, start_server
from mock_upstream import find_nginx, start_mock

HERE = Path(__file__).resolve().parent
CANNOT_RUN = 3
VARIANTS = ("mock", "no cache", "miss", "hit")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def config(mock_url: str) -> str:
    entity = """
[[ocr_models]]
id = "{id}"
provider = "mistral"
base_url = "{url}"
api_key = "sk-bench"
model = "mistral-ocr-latest"
max_retries = 0
max_response_size = 67108864
cache = {cache}
"""
    return (
        "[logging]\naccess_log = false\n"
        + entity.format(id="mistral", url=mock_url, cache="true")
        + entity.format(id="plain", url=mock_url, cache="false")
        + '\n[[routes]]\npath = "/"\nocr_model_refs = ["mistral", "plain"]\n'
        + "\n[cache]\nmax_bytes = 268435456\n"
    )


def pad_chars(size: int) -> int:
    """Base64 padding characters making the decoded document about ``size`` bytes."""
    return max(0, (size - 21) // 3 * 4)


def fixed_body(size: int, provider: str) -> bytes:
    """The body ``unique_ocr.lua`` would send, with one fixed id: the same document each time."""
    # Run id ffffffff: unique_ocr.lua's ids are below 2**31, so no miss sends this document.
    b64 = "JVBERi0xLjQK" + "ffffffff00000000" + "QUJD" * (pad_chars(size) // 4)
    document = {"type": "document_url", "document_url": "data:application/pdf;base64," + b64}
    assert len(base64.b64decode(b64)) >= size - 3
    return json.dumps({"provider": provider, "document": document}).encode()


def wrk(url: str, conns: int, duration: float, script: list[str]) -> dict[str, Any]:
    cmd = [*pin(LOAD_CPU), "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(duration))}s"]
    cmd += ["--timeout", "30s", *script[:2], url, "--", *script[2:]]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 90, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cache_counts(url: str) -> dict[str, int]:
    """The gateway's ``aigw_ocr_cache_requests_total`` by result (did hits hit, misses miss?)."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
        text = r.read().decode()
    found = re.findall(
        r'^aigw_ocr_cache_requests_total\{entity="mistral",result="(\w+)"\} (\S+)$', text, re.M
    )
    return {result: int(float(n)) for result, n in found}


def run(
    size: int, conns: int, duration: float, rounds: int, workdir: Path
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    samples: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    with ExitStack() as stack:
        mock = stack.enter_context(start_mock(cpu=LOAD_CPU))
        path = workdir / "gateway.toml"
        path.write_text(config(mock.url))
        port = free_port()
        cmd = [PYTHON, "-m", "aigateway", "serve", "--config", str(path)]
        cmd += ["--host", "127.0.0.1", "--port", str(port)]
        gw = stack.enter_context(
            start_server(
                "gateway",
                cmd,
                port,
                workdir / "gateway.log",
                ready_path="/healthz",
                cpu=GATEWAY_CPU,
            )
        )
        hit_body = workdir / f"hit-{size}.json"
        hit_body.write_bytes(fixed_body(size, "mistral"))
        post = ["-s", str(HERE / "post.lua"), "POST", str(hit_body), "application/json"]
        pads = str(pad_chars(size))

        def unique(provider: str) -> list[str]:
            run_id = str(random.getrandbits(31))  # a new id per turn: never a document seen before
            return ["-s", str(HERE / "unique_ocr.lua"), pads, run_id, provider]

        for r in range(rounds):
            for variant in VARIANTS:
                if variant == "mock":
                    # The large-body path reads the whole body before answering (see the mock).
                    url, script, pid = mock.url + "/read/v1/ocr", post, None
                else:
                    url = gw.url + "/v1/ocr"
                    script = (
                        post
                        if variant == "hit"
                        else unique("plain" if variant == "no cache" else "mistral")
                    )
                    pid = gw.pid
                if variant == "hit":
                    wrk(url, 1, 1, script)  # the first one stores the entry
                cpu0 = cpu_seconds(pid) if pid else 0.0
                w = wrk(url, conns, duration, script)
                cpu = (cpu_seconds(pid) - cpu0) if pid else 0.0
                sample = {
                    "rps": w["requests"] / (w["duration_us"] / 1e6),
                    "p50_ms": w["p50_us"] / 1000,
                    "cpu_ms_per_req": cpu * 1000 / max(1, w["requests"]),
                    "errors": sum(v for k, v in w.items() if k.startswith("err_")),
                }
                samples[variant].append(sample)
                log(f"  {size} B round {r + 1} {variant:9} {sample['rps']:.0f} rps")
        counts = cache_counts(gw.url)
    rows = []
    for variant, runs in samples.items():
        row: dict[str, Any] = {"size": size, "variant": variant}
        for k in ("rps", "p50_ms", "cpu_ms_per_req"):
            row[k] = round(statistics.median(x[k] for x in runs), 3)
        row["errors"] = sum(x["errors"] for x in runs)
        rows.append(row)
    return rows, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="1024,1048576")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    missing = [n for n, ok in (("wrk", shutil.which("wrk")), ("nginx", find_nginx())) if not ok]
    if missing:
        log(f"missing {', '.join(missing)} (Debian: wrk nginx-light)")
        return CANNOT_RUN
    rows: list[dict[str, Any]] = []
    counts: dict[int, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="aigw-bench-cache-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            conns = 16 if size < 100_000 else 4
            size_rows, counts[size] = run(size, conns, args.duration, args.rounds, Path(tmp))
            rows += size_rows
    print(f"OCR through the nginx mock; medians of {args.rounds} turns of {args.duration:.0f} s")
    print(f"{'document':>10} {'variant':9} {'rps':>9} {'p50 ms':>8} {'cpu ms/req':>10}")
    by = {(r["size"], r["variant"]): r for r in rows}
    for r in rows:
        print(
            f"{r['size']:>10} {r['variant']:9} {r['rps']:>9.1f} {r['p50_ms']:>8.2f} "
            f"{r['cpu_ms_per_req']:>10.3f}" + (f"  ERRORS {r['errors']}" if r["errors"] else "")
        )
    for size in sorted({r["size"] for r in rows}):
        hit, miss, plain = (by[(size, v)] for v in ("hit", "miss", "no cache"))
        print(
            f"{size} B: hit/miss rps x{hit['rps'] / miss['rps']:.2f}, "
            f"miss/no-cache rps x{miss['rps'] / plain['rps']:.2f}, "
            f"hit/miss cpu per request x{hit['cpu_ms_per_req'] / miss['cpu_ms_per_req']:.2f}"
            f" (gateway counted {counts[size]})"
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "cache": counts}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
