"""The served local OCR engine: event-loop lag under a busy pool, and a long mixed soak.

::

    .venv/bin/python bench/ocr_served.py lag  [--seconds 15] [--json out.json]
    .venv/bin/python bench/ocr_served.py soak [--minutes 10] [--clients 6] [--json out.json]
    .venv/bin/python bench/ocr_served.py cold [--delay 0] [--settle 10] [--json out.json]

``lag`` measures three phases in one run (ratios between them, no absolute targets): idle, a
busy pool, and a busy pool while 1 MiB documents are sent to it:

* *pool*: an :class:`~aigateway.ocr.engine.pool.OcrPool` on uvloop in this process, 2 workers;
  a 1 ms ticker records how late the loop wakes it; "busy" keeps 4 callers queueing 50 ms tasks,
  then 2 more callers send 1 MiB payloads back to back (each waits for a free worker, then goes
  through the non-blocking framed writer);
* *served*: ``aigateway serve`` (uvloop, httptools); ``/healthz`` latency sampled every 5 ms;
  "busy" is 4 clients sending 5-page scanned PDFs (multipart, ``--busy-pages``), then 2 more
  clients send a 1 MiB + 1 byte document inline (base64 JSON) back to back.

``soak`` runs ``aigateway serve`` with the local engine and a chat entity on the nginx mock
(``mock_upstream.py``) for ``--minutes``, ``--clients`` threads sending a mix of OCR (1 KB to
1 MiB + 1 documents, JSON and multipart, text checked), chat (plain and streamed) and bad
requests (each with the 4xx it must get). It reports per kind the count, wrong answers, 5xx,
p50/p99, the server's RSS and the pool's (forkserver and workers, PSS) at start and end, and
the worker restarts counter.

``cold`` starts ``aigateway serve`` and sends one full page per worker the moment ``/readyz``
turns ready (or ``--delay`` seconds after), then the same pages again once the workers have warmed and ``--settle`` seconds
passed: the first pages' latency as a ratio to the warm ones. Each worker loads the
re-reading recogniser once it is ready, and pages that come meanwhile wait for it: a grainy
scan needs the recogniser (its doubtful words are read again), a clean page does not.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from common import rss
from mock_upstream import start_mock
from served_load import (
    DOCS,
    Request,
    bad_requests,
    busy_pdf,
    chat_requests,
    cold_pages,
    gateway_config,
    ocr_requests,
    pick,
    pool_pids,
    start_gateway,
)

MiB = 1 << 20
POOL_WORKERS = 2


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary_ms(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 0.5), 3),
        "p99_ms": round(pct(ms, 0.99), 3),
        "max_ms": round(max(ms, default=0.0), 3),
    }


# --- lag: in-process pool ---------------------------------------------------------------------


async def _pool_lag(seconds: float) -> dict[str, Any]:
    from aigateway.config import LimitsConfig, OcrPoolConfig
    from aigateway.ocr.engine.pool import OcrPool

    pool = OcrPool(OcrPoolConfig(workers=POOL_WORKERS), LimitsConfig())
    await asyncio.wait_for(pool.wait_ready(), 60)
    payload = os.urandom(MiB)

    async def ticks(duration: float) -> list[float]:
        lags = []
        end = time.perf_counter() + duration
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - t0 - 0.001)
        return lags

    idle = await ticks(seconds)
    stop = False
    sent = 0

    async def keep_busy() -> None:
        while not stop:
            await pool.run(time.sleep, 0.05)

    async def send_big() -> None:
        nonlocal sent
        while not stop:
            assert await pool.run(len, payload) == MiB
            sent += 1

    load = [asyncio.create_task(keep_busy()) for _ in range(4)]
    busy = await ticks(seconds)
    load += [asyncio.create_task(send_big()) for _ in range(2)]
    inline = await ticks(seconds)
    stop = True
    await asyncio.gather(*load)
    await pool.aclose()
    return {
        "idle": summary_ms(idle),
        "busy": summary_ms(busy),
        "busy_1mib": summary_ms(inline),
        "mib_sent": sent,
    }


# --- lag: served ------------------------------------------------------------------------------


def _probe(url: str, seconds: float) -> list[float]:
    out = []
    with httpx.Client(base_url=url, timeout=30) as c:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            assert c.get("/healthz").status_code == 200
            out.append(time.perf_counter() - t0)
            time.sleep(0.005)
    return out


def _served_lag(seconds: float, workdir: Path, busy_pages: int) -> dict[str, Any]:
    gw = start_gateway(workdir, gateway_config(POOL_WORKERS), "lag")
    try:
        ocr_requests()  # builds DOCS
        inline = next(d for d in DOCS if len(d.data) == MiB + 1)
        pdf = busy_pdf(busy_pages)
        inline_body = {"document_base64": base64.b64encode(inline.data).decode()}
        idle = _probe(gw.url, seconds)
        stop = threading.Event()
        statuses: Counter[str] = Counter()

        def client(kind: str) -> None:
            with httpx.Client(base_url=gw.url, timeout=300) as c:
                while not stop.is_set():
                    if kind == "busy":
                        files = {"file": ("b.pdf", pdf, "application/pdf")}
                        r = c.post("/v1/ocr", files=files)
                    else:
                        r = c.post("/v1/ocr", json=inline_body)
                    statuses[f"{kind}:{r.status_code}"] += 1

        threads = [threading.Thread(target=client, args=("busy",)) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(2)
        busy = _probe(gw.url, seconds)
        more = [threading.Thread(target=client, args=("inline-1MiB",)) for _ in range(2)]
        for t in more:
            t.start()
        time.sleep(2)
        inline_lat = _probe(gw.url, seconds)
        stop.set()
        for t in threads + more:
            t.join()
        return {
            "idle": summary_ms(idle),
            "busy": summary_ms(busy),
            "busy_1mib": summary_ms(inline_lat),
            "answers": dict(statuses),
        }
    finally:
        gw.stop()


def lag(args: argparse.Namespace) -> dict[str, Any]:
    import uvloop

    log("pool lag (in process, uvloop) …")
    pool = uvloop.run(_pool_lag(args.seconds))
    with tempfile.TemporaryDirectory(prefix="aigw-lag-") as tmp:
        log("served lag (aigateway serve) …")
        served = _served_lag(args.seconds, Path(tmp), args.busy_pages)
    out = {"pool": pool, "served": served}
    for name, part in out.items():
        i, b, m = part["idle"], part["busy"], part["busy_1mib"]
        part["p99_ratio_busy_1mib_vs_busy"] = round(m["p99_ms"] / max(b["p99_ms"], 1e-6), 2)
        part["p99_ratio_busy_1mib_vs_idle"] = round(m["p99_ms"] / max(i["p99_ms"], 1e-6), 2)
        print(f"{name}: p50 / p99 / max ms")
        for label, row in (("idle", i), ("busy pool", b), ("busy + 1 MiB", m)):
            print(f"  {label:13s} {row['p50_ms']:8.3f} {row['p99_ms']:8.3f} {row['max_ms']:8.3f}")
        print(
            f"  p99 ratio: busy + 1 MiB / busy {part['p99_ratio_busy_1mib_vs_busy']}x, "
            f"/ idle {part['p99_ratio_busy_1mib_vs_idle']}x"
        )
    print(f"pool: {pool['mib_sent']} x 1 MiB sent; served answers: {served['answers']}")
    return out


# --- cold -------------------------------------------------------------------------------------


def _cold_burst(url: str, page: bytes, media_type: str) -> list[float]:
    """One page per worker at once; each latency in seconds."""

    def one(_: int) -> float:
        t0 = time.perf_counter()
        with httpx.Client(base_url=url, timeout=300) as c:
            r = c.post("/v1/ocr", files={"file": ("page", page, media_type)})
        assert r.status_code == 200, r.text[:300]
        return time.perf_counter() - t0

    with ThreadPoolExecutor(POOL_WORKERS) as ex:
        return sorted(ex.map(one, range(POOL_WORKERS)))


def cold(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, (page, media_type) in cold_pages().items():
        log(f"cold start, {kind} page ({len(page) // 1024} KB): {POOL_WORKERS} at ready, then warm")
        with tempfile.TemporaryDirectory(prefix="aigw-cold-") as tmp:
            gw = start_gateway(Path(tmp), gateway_config(POOL_WORKERS), "cold")
            try:
                time.sleep(args.delay)
                first = _cold_burst(gw.url, page, media_type)
                with httpx.Client(base_url=gw.url, timeout=30) as c:
                    while c.get("/readyz").json()["checks"]["ocr_pool"].get("warming"):
                        time.sleep(0.1)
                time.sleep(args.settle)
                warm = _cold_burst(gw.url, page, media_type)
            finally:
                gw.stop()
        ratio = round(max(first) / max(warm), 2)
        out[kind] = {"first_s": first, "warm_s": warm, "ratio": ratio, "kb": len(page) // 1024}
        print(
            f"{kind:6s} page: first at ready {', '.join(f'{t:.2f}' for t in first)} s, "
            f"warm {', '.join(f'{t:.2f}' for t in warm)} s: slowest first / slowest warm x{ratio}"
        )
    return out


# --- soak -------------------------------------------------------------------------------------


def _pss_mb(pid: int) -> float:
    """Proportional set size: shared pages (the forkserver's preloaded modules, libraries)
    split between the processes sharing them, so a sum over processes is not inflated."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return rss(pid)[0] / MiB


def _rss_mb(server_pid: int) -> tuple[float, float]:
    """(server RSS, sum of the pool processes' PSS) in MB."""
    server = rss(server_pid)[0] / MiB
    pool = 0.0
    for pid in pool_pids(server_pid):
        try:
            pool += _pss_mb(pid)
        except OSError:
            continue
    return round(server, 1), round(pool, 1)


def _client(
    url: str, seed: int, deadline: float, catalogue: dict[str, list[Request]], out: list[Any]
) -> None:
    rng = random.Random(seed)
    mix = {"ocr": 0.35, "chat": 0.45, "bad": 0.20}
    with httpx.Client(base_url=url, timeout=300) as c:
        while time.monotonic() < deadline:
            req = pick(rng, catalogue, mix)
            t0 = time.perf_counter()
            try:
                resp = req.send(c)
                ok, status = req.expect(resp), resp.status_code
                detail = "" if ok else resp.text[:200]
            except Exception as exc:  # a transport failure is a wrong answer too
                ok, status, detail = False, 0, f"{type(exc).__name__}: {exc}"
            out.append((req.kind, req.name, status, ok, time.perf_counter() - t0, detail))


def soak(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="aigw-soak-") as tmp, start_mock() as mock:
        gw = start_gateway(Path(tmp), gateway_config(POOL_WORKERS, mock.url), "soak")
        try:
            catalogue = {"ocr": ocr_requests(), "chat": chat_requests(), "bad": bad_requests()}
            with httpx.Client(base_url=gw.url, timeout=300) as c:
                for reqs in catalogue.values():  # every request once: warm and checked
                    for req in reqs:
                        resp = req.send(c)
                        if not req.expect(resp):
                            raise RuntimeError(f"{req.name}: {resp.status_code} {resp.text[:300]}")
            start_rss = _rss_mb(gw.pid)
            samples = [(0.0, *start_rss)]
            results: list[Any] = []
            began = time.monotonic()
            deadline = began + args.minutes * 60
            threads = [
                threading.Thread(target=_client, args=(gw.url, i, deadline, catalogue, results))
                for i in range(args.clients)
            ]
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                time.sleep(5)
                if time.monotonic() - began >= len(samples) * 60:
                    samples.append((round(time.monotonic() - began), *_rss_mb(gw.pid)))
                    log(f"{samples[-1][0]:.0f} s: {len(results)} requests, RSS {samples[-1][1:]}")
            elapsed = time.monotonic() - began
            end_rss = _rss_mb(gw.pid)
            metrics = httpx.get(gw.url + "/metrics", timeout=10).text
            ready = httpx.get(gw.url + "/readyz", timeout=10).status_code
        finally:
            gw.stop()
    restarts = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("aigw_ocr_worker_restarts_total")
    )
    kinds: dict[str, Any] = {}
    for kind in ("ocr", "chat", "bad"):
        rows = [r for r in results if r[0] == kind]
        kinds[kind] = {
            "requests": len(rows),
            "wrong": sum(1 for r in rows if not r[3]),
            "5xx": sum(1 for r in rows if r[2] >= 500),
            "p50_ms": round(statistics.median([r[4] for r in rows]) * 1000, 1) if rows else 0,
            "p99_ms": round(pct([r[4] for r in rows], 0.99) * 1000, 1),
        }
    wrong = [r for r in results if not r[3]][:5]
    out = {
        "minutes": round(elapsed / 60, 2),
        "clients": args.clients,
        "requests": len(results),
        "rps": round(len(results) / elapsed, 1),
        "kinds": kinds,
        "rss_mb_start": {"server": start_rss[0], "pool": start_rss[1]},
        "rss_mb_end": {"server": end_rss[0], "pool": end_rss[1]},
        "rss_samples": samples,
        "worker_restarts": restarts,
        "readyz_at_end": ready,
        "wrong_examples": wrong,
    }
    print(f"soak {out['minutes']} min, {args.clients} clients, {out['requests']} requests")
    for kind, k in kinds.items():
        print(
            f"  {kind:5s} {k['requests']:6d} requests  wrong {k['wrong']}  5xx {k['5xx']}  "
            f"p50 {k['p50_ms']} ms  p99 {k['p99_ms']} ms"
        )
    print(
        f"  RSS server {start_rss[0]} -> {end_rss[0]} MB; "
        f"pool PSS {start_rss[1]} -> {end_rss[1]} MB"
    )
    print(f"  worker restarts {restarts:g}; /readyz at end {ready}")
    for w in wrong:
        print(f"  wrong: {w}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p_lag = sub.add_parser("lag")
    p_lag.add_argument("--seconds", type=float, default=15.0)
    p_lag.add_argument("--busy-pages", type=int, default=5, help="pages per busy-load PDF")
    p_soak = sub.add_parser("soak")
    p_soak.add_argument("--minutes", type=float, default=10.0)
    p_soak.add_argument("--clients", type=int, default=6)
    p_cold = sub.add_parser("cold")
    p_cold.add_argument("--settle", type=float, default=10.0, help="seconds before the warm pages")
    p_cold.add_argument("--delay", type=float, default=0.0, help="seconds after ready to wait")
    for p in (p_lag, p_soak, p_cold):
        p.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    out = {"lag": lag, "soak": soak, "cold": cold}[args.mode](args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    bad = args.mode == "soak" and (
        any(k["wrong"] or k["5xx"] for k in out["kinds"].values()) or out["worker_restarts"]
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
