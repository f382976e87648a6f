"""aigateway benchmark: overhead against a direct upstream, memory, startup, first byte.

One command::

    .venv/bin/python bench/run.py [--quick] [--vs-litellm] [--duration S] [--json out.json]

It starts nginx as a fast loopback mock upstream (Mistral OCR, OpenAI chat, SSE chat,
embeddings, models), the gateway with one worker pinned to core 0 and ``wrk`` pinned to core 1
(nginx shares core 1 with wrk), then drives every scenario at 1/16/64 connections against the
gateway and, as the baseline, against the mock directly. It prints one table and the targets of
issue 7 with PASS/FAIL. Figures are per gateway worker; the only servers are on 127.0.0.1.

Needs ``nginx`` (Debian ``nginx-light``) and ``wrk``; as root they are installed with apt-get
when missing (``--no-install`` to refuse).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    GATEWAY_CPU,
    LOAD_CPU,
    PYTHON,
    Server,
    cpu_seconds,
    free_port,
    pin,
    reset_peak,
    rss,
    server_facts,
    start_server,
)
from mock_upstream import MockUpstream, find_nginx, start_mock
from scenarios import SCENARIOS, Scenario, gateway_config, write_bodies

__all__ = ("main",)

HERE = Path(__file__).resolve().parent
LUA = HERE / "post.lua"
MiB = 1 << 20

TARGETS = {
    "rps_per_worker": 1500,
    "added_p50_ms_1conn": 1.0,
    "first_byte_added_ms": 2.0,
    "upload_100mb_growth_mb": 64,
    "json_20mb_growth_x_body": 3.0,
    "startup_s": 1.5,
    "idle_rss_mb": 100,
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- tools ------------------------------------------------------------------------------------


def ensure_tools(install: bool) -> str | None:
    """None when wrk and nginx are there (installing them as root if allowed), else why not."""
    missing = [
        p for p, ok in (("wrk", shutil.which("wrk")), ("nginx-light", find_nginx())) if not ok
    ]
    if not missing:
        return None
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        log(f"installing {' '.join(missing)} with apt-get …")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        ):
            done = subprocess.run(cmd, env=env, capture_output=True, timeout=600, check=False)
            if done.returncode != 0:
                return f"apt-get failed: {done.stderr.decode(errors='replace')[-400:]}"
        if shutil.which("wrk") and find_nginx():
            return None
    return f"missing {', '.join(missing)} (Debian packages: apt-get install {' '.join(missing)})"


# -- load -------------------------------------------------------------------------------------


def run_wrk(
    url: str,
    sc: Scenario,
    conns: int,
    duration: float,
    bodies: dict[str, tuple[Path, str]],
    auth: str = "",
) -> dict[str, Any]:
    body, ctype = bodies[sc.body] if sc.body else (None, "")
    cmd = [*pin(LOAD_CPU), "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(duration))}s"]
    cmd += ["--timeout", "60s" if sc.big else "10s", "-s", str(LUA), url, "--"]
    cmd += [sc.method, str(body) if body else "-", ctype, auth]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120, check=False)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"wrk failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def first_byte_times(port: int, path: str, body: bytes, n: int) -> list[float]:
    """Seconds from sending a streaming request to the first ``data:`` byte (fresh connection)."""
    req = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    out = []
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t0 = time.perf_counter()
            s.sendall(req)
            buf = b""
            while b"data:" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError(f"stream ended before a data: line: {buf[:300]!r}")
                buf += chunk
            out.append(time.perf_counter() - t0)
            while s.recv(65536):
                pass
    return out


def measure_target(
    name: str,
    base_url: str,
    cpu_pid: int,
    scenarios: list[Scenario],
    conn_filter: set[int] | None,
    duration: float,
    bodies: dict[str, tuple[Path, str]],
    *,
    mock: bool = False,
    auth: str = "",
) -> list[dict[str, Any]]:
    """Every scenario at its connection counts; CPU and peak RSS read from ``cpu_pid``."""
    rows = []
    for sc in scenarios:
        path = sc.mock_path if mock else sc.path
        conns = [c for c in sc.connections if conn_filter is None or c in conn_filter]
        if not conns:
            continue
        try:
            run_wrk(base_url + path, sc, conns[0], min(1.0, duration), bodies, auth)  # warm-up
        except RuntimeError as exc:
            log(f"  {name} {sc.name}: warm-up failed: {exc}")
        reset_ok = reset_peak(cpu_pid)
        run_s = max(duration, 4.0) if sc.big else duration  # big bodies: a few requests at least
        for c in conns:
            cpu0 = cpu_seconds(cpu_pid)
            try:
                w = run_wrk(base_url + path, sc, c, run_s, bodies, auth)
            except RuntimeError as exc:
                log(f"  {name} {sc.name} c={c}: {exc}")
                rows.append(
                    {"target": name, "scenario": sc.name, "connections": c, "error": str(exc)}
                )
                continue
            cpu = cpu_seconds(cpu_pid) - cpu0
            if w["requests"] == 0:
                msg = f"no request completed in {run_s:.0f} s"
                log(f"  {name} {sc.name} c={c}: {msg}")
                rows.append({"target": name, "scenario": sc.name, "connections": c, "error": msg})
                continue
            n = w["requests"]
            errors = sum(w[k] for k in w if k.startswith("err_"))
            row = {
                "target": name,
                "scenario": sc.name,
                "connections": c,
                "requests": w["requests"],
                "rps": round(w["requests"] / (w["duration_us"] / 1e6), 1),
                "p50_ms": w["p50_us"] / 1000,
                "p90_ms": w["p90_us"] / 1000,
                "p99_ms": w["p99_us"] / 1000,
                "errors": errors,
                "non_2xx": w["err_status"],
                "cpu_ms_per_req": round(cpu * 1000 / n, 3),
                "cpu_util": round(cpu / (w["duration_us"] / 1e6), 2),
            }
            rows.append(row)
            log(
                f"  {name:8} {sc.name:20} c={c:<3} {row['rps']:>9.1f} rps  p50 {row['p50_ms']:.2f} ms"
                f"  p99 {row['p99_ms']:.2f} ms  cpu {row['cpu_ms_per_req']:.3f} ms/req"
                + (f"  ERRORS {errors}" if errors else "")
            )
        peak = rss(cpu_pid)[1] if reset_ok else None
        for row in rows:
            if row["scenario"] == sc.name and "rps" in row:
                row["peak_rss_mb"] = round(peak / MiB, 1) if peak else None
    return rows


# -- servers ----------------------------------------------------------------------------------


def start_gateway(config: str, workdir: Path, tag: str) -> Server:
    cfg = workdir / f"gateway-{tag}.toml"
    cfg.write_text(config)
    port = free_port()
    cmd = [PYTHON, "-m", "aigateway", "serve", "--config", str(cfg), "--host", "127.0.0.1"]
    cmd += ["--port", str(port)]
    return start_server("gateway", cmd, port, workdir / f"gateway-{tag}.log", cpu=GATEWAY_CPU)


def py_spy_profile(
    pid: int, url: str, sc: Scenario, bodies: dict[str, tuple[Path, str]], out: Path, seconds: int
) -> list[tuple[str, float]]:
    """Record ``pid`` with py-spy while wrk drives ``sc`` at 16 connections; top self frames."""
    exe = shutil.which("py-spy") or "/tmp/pyspy-venv/bin/py-spy"
    raw = out / f"py-spy-{sc.name}.txt"
    cmd = [*pin(LOAD_CPU), exe, "record", "--pid", str(pid), "--duration", str(seconds)]
    cmd += ["--rate", "200", "--format", "raw", "--nonblocking", "-o", str(raw)]
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    run_wrk(url + sc.path, sc, 16, seconds, bodies)
    spy.wait(60)
    counts: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        leaf = stack.split(";")[-1]
        counts[leaf] = counts.get(leaf, 0) + int(n)
        total += int(n)
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:15]
    return [(frame, round(100 * n / max(1, total), 1)) for frame, n in top]


# -- report -----------------------------------------------------------------------------------


def table(rows: list[dict[str, Any]]) -> str:
    base = {
        (r["scenario"], r["connections"]): r for r in rows if r["target"] == "mock" and "rps" in r
    }
    head = (
        f"{'target':8} {'scenario':20} {'conn':>4} {'rps':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'+p50 ms':>8} {'cpu ms/req':>10} {'peak RSS MB':>11} {'errors':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if "rps" not in r:
            lines.append(
                f"{r['target']:8} {r['scenario']:20} {r['connections']:>4}  ERROR {r.get('error', '')[:60]}"
            )
            continue
        b = base.get((r["scenario"], r["connections"]))
        added = "" if r["target"] == "mock" or b is None else f"{r['p50_ms'] - b['p50_ms']:+.2f}"
        peak = r.get("peak_rss_mb")
        lines.append(
            f"{r['target']:8} {r['scenario']:20} {r['connections']:>4} {r['rps']:>9.1f} "
            f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {added:>8} {r['cpu_ms_per_req']:>10.3f} "
            f"{'' if peak is None else peak:>11} {r['errors']:>6}"
        )
    return "\n".join(lines)


def check_targets(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target, measured, PASS/FAIL/n/a) for the issue's targets."""
    rows = [r for r in result["rows"] if "rps" in r]
    out: list[tuple[str, str, str]] = []

    def best(target: str, scenario: str) -> float | None:
        v = [
            r["rps"]
            for r in rows
            if r["target"] == target and r["scenario"] == scenario and r["errors"] == 0
        ]
        return max(v) if v else None

    for sc in ("ocr-small", "chat"):
        gw, lite = best("gateway", sc), best("litellm", sc)
        if gw is None:
            continue
        ok = gw >= TARGETS["rps_per_worker"] or (lite is not None and gw >= 10 * lite)
        extra = f" (LiteLLM {lite:.0f}, {gw / lite:.1f}x)" if lite else ""
        out.append(
            (
                f"{sc}: >= 1500 rps per worker (or >= 10x LiteLLM)",
                f"{gw:.0f} rps{extra}",
                "PASS" if ok else "FAIL",
            )
        )
    mock = {(r["scenario"], r["connections"]): r for r in rows if r["target"] == "mock"}
    for r in rows:
        if r["target"] == "gateway" and r["connections"] == 1 and (r["scenario"], 1) in mock:
            added = r["p50_ms"] - mock[(r["scenario"], 1)]["p50_ms"]
            if r["scenario"] in ("ocr-small", "chat", "chat-stream", "embeddings", "models"):
                out.append(
                    (
                        f"{r['scenario']}: added p50 at 1 connection <= 1 ms",
                        f"{added:.2f} ms",
                        "PASS" if added <= TARGETS["added_p50_ms_1conn"] else "FAIL",
                    )
                )
    fb = result.get("first_byte")
    if fb and "added_ms" in fb:
        out.append(
            (
                "chat-stream: first byte added <= 2 ms",
                f"{fb['added_ms']:.2f} ms",
                "PASS" if fb["added_ms"] <= TARGETS["first_byte_added_ms"] else "FAIL",
            )
        )
    for m in result.get("memory", []):
        if "error" in m:
            out.append((m["case"], m["error"][:60], "ERROR"))
            continue
        if "multipart" in m["case"]:
            ok = m["growth_mb"] < TARGETS["upload_100mb_growth_mb"]
            out.append(
                (
                    f"{m['case']} (status {m['status']}): server RSS growth < 64 MB",
                    f"{m['growth_mb']} MB",
                    "PASS" if ok else "FAIL",
                )
            )
        else:
            ok = m["growth_x_body"] < TARGETS["json_20mb_growth_x_body"]
            out.append(
                (
                    f"{m['case']} (status {m['status']}): growth < 3x body",
                    f"{m['growth_x_body']}x ({m['growth_mb']} MB of {m['body_bytes'] / 1e6:.1f} MB)",
                    "PASS" if ok else "FAIL",
                )
            )
    gw = result.get("servers", {}).get("gateway")
    if gw:
        out.append(
            (
                "startup to first answered request < 1.5 s",
                f"{gw['startup_s']:.2f} s (median of {gw['startup_runs']})",
                "PASS" if gw["startup_s"] < TARGETS["startup_s"] else "FAIL",
            )
        )
        out.append(
            (
                "idle RSS < 100 MB (server process)",
                f"{gw['idle_rss_mb']} MB",
                "PASS" if gw["idle_rss_mb"] < TARGETS["idle_rss_mb"] else "FAIL",
            )
        )
    return out


def report(result: dict[str, Any]) -> str:
    parts = [table(result["rows"]), ""]
    for name, s in result.get("servers", {}).items():
        extra = (
            f", children idle RSS {s['children_idle_rss_mb']} MB"
            if s.get("children_idle_rss_mb")
            else ""
        )
        parts.append(
            f"{name}: startup {s['startup_s']:.3f} s, idle RSS {s['idle_rss_mb']} MB{extra}"
        )
    fb = result.get("first_byte")
    if fb:
        for k, v in fb.items():
            if isinstance(v, dict):
                parts.append(
                    f"first SSE byte, {k}: median {v['median_ms']:.2f} ms, p90 {v['p90_ms']:.2f} ms (n={v['n']})"
                )
        if "added_ms" in fb:
            parts.append(f"first SSE byte added by the gateway: {fb['added_ms']:.2f} ms")
    for m in result.get("memory", []):
        if "error" in m:
            parts.append(f"memory {m['case']}: ERROR {m['error'][:200]}")
            continue
        kids = (
            f"; OCR workers peak {m['ocr_workers_peak_rss_mb']} MB"
            if m["ocr_workers_peak_rss_mb"]
            else ""
        )
        parts.append(
            f"memory {m['case']}: status {m['status']} in {m['seconds']} s, server idle {m['idle_rss_mb']} MB "
            f"-> peak {m['peak_rss_mb']} MB, growth {m['growth_mb']} MB = {m['growth_x_body']}x body{kids}"
        )
    for note in result.get("notes", []):
        parts.append(f"note: {note}")
    prof = result.get("profile")
    if prof:
        for sc, frames in prof.items():
            parts.append(f"py-spy top self frames, {sc} @16 connections:")
            parts += [f"  {pct:5.1f}%  {frame}" for frame, pct in frames]
    parts.append("")
    parts.append("targets (issue 7):")
    parts += [
        f"  [{verdict}] {what}: {measured}" for what, measured, verdict in check_targets(result)
    ]
    return "\n".join(parts)


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="aigateway benchmark (see bench/run.py docstring)")
    ap.add_argument("--quick", action="store_true", help="1 and 16 connections, 2 s runs")
    ap.add_argument("--duration", type=float, help="seconds per wrk run (default 5, quick 2)")
    ap.add_argument(
        "--vs-litellm",
        action="store_true",
        help="also run LiteLLM (installs it in /tmp/litellm-venv)",
    )
    ap.add_argument("--json", dest="json_out", help="also write the results as JSON to this file")
    ap.add_argument(
        "--scenarios", help=f"comma-separated subset of: {','.join(s.name for s in SCENARIOS)}"
    )
    ap.add_argument("--connections", help="comma-separated subset of connection counts")
    ap.add_argument("--no-memory", action="store_true", help="skip the upload-memory cases")
    ap.add_argument("--upload-mb", type=int, default=100, help="multipart upload size for memory")
    ap.add_argument(
        "--json-mb", type=int, default=20, help="document size for the base64 JSON memory case"
    )
    ap.add_argument(
        "--first-byte-n", type=int, default=50, help="streamed requests timed for first byte"
    )
    ap.add_argument(
        "--startup-runs", type=int, help="gateway starts to take the median of (default 3, quick 1)"
    )
    ap.add_argument(
        "--py-spy", action="store_true", help="profile the gateway (chat, ocr-small) with py-spy"
    )
    ap.add_argument("--no-install", action="store_true", help="never apt-get install wrk/nginx")
    args = ap.parse_args(argv)

    duration = args.duration or (2.0 if args.quick else 5.0)
    scenarios = SCENARIOS
    if args.scenarios:
        wanted = args.scenarios.split(",")
        unknown = set(wanted) - {s.name for s in SCENARIOS}
        if unknown:
            ap.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
        scenarios = [s for s in SCENARIOS if s.name in wanted]
    conn_filter = (
        {int(c) for c in args.connections.split(",")}
        if args.connections
        else ({1, 4, 16} if args.quick else None)
    )
    startup_runs = args.startup_runs or (1 if args.quick else 3)

    why = ensure_tools(not args.no_install)
    if why:
        print(f"bench: cannot run: {why}", file=sys.stderr)
        return 3
    t_start = time.monotonic()
    result: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "pinned": bool(pin(0)),
            "python": sys.version.split()[0],
        },
        "duration_s": duration,
        "rows": [],
        "servers": {},
        "notes": [],
    }
    with tempfile.TemporaryDirectory(prefix="aigw-bench-") as tmp:
        work = Path(tmp)
        log("writing request bodies …")
        bodies = write_bodies(work / "bodies", {s.body for s in scenarios if s.body})
        with start_mock(cpu=LOAD_CPU if pin(LOAD_CPU) else None) as mock:
            mock_pid = mock.pids()[-1]  # the nginx worker
            config = gateway_config(mock.url)
            startups = []
            for i in range(startup_runs - 1):
                with start_gateway(config, work, f"startup{i}") as gw:
                    startups.append(gw.startup_s)
            with start_gateway(config, work, "main") as gw:
                startups.append(gw.startup_s)
                facts = server_facts(gw)
                facts["startup_s"] = round(statistics.median(startups), 3)
                facts["startup_runs"] = len(startups)
                facts["startup_all_s"] = [round(s, 3) for s in startups]
                result["servers"]["gateway"] = facts
                log(f"gateway: startup {facts['startup_s']} s, idle RSS {facts['idle_rss_mb']} MB")
                log("mock (baseline) and gateway:")
                result["rows"] += measure_target(
                    "mock", mock.url, mock_pid, scenarios, conn_filter, duration, bodies, mock=True
                )
                result["rows"] += measure_target(
                    "gateway", gw.url, gw.pid, scenarios, conn_filter, duration, bodies
                )
                result["servers"]["gateway"]["rss_after_load_mb"] = round(rss(gw.pid)[0] / MiB, 1)
                if any(s.name == "chat-stream" for s in scenarios) and args.first_byte_n > 0:
                    result["first_byte"] = first_byte(mock, gw, bodies, args.first_byte_n)
                if args.py_spy:
                    result["profile"] = {}
                    for sc in scenarios:
                        if sc.name in ("chat", "ocr-small", "chat-stream"):
                            log(f"py-spy: {sc.name} …")
                            result["profile"][sc.name] = py_spy_profile(
                                gw.pid, gw.url, sc, bodies, work, 5
                            )
            if args.vs_litellm:
                from vs_litellm import run_litellm

                run_litellm(
                    result,
                    mock,
                    scenarios,
                    conn_filter,
                    duration,
                    bodies,
                    work,
                    measure_target,
                    log,
                )
        if not args.no_memory:
            log("upload memory (fresh gateway per case):")
            from upload_memory import run_memory_cases

            result["memory"] = run_memory_cases(
                work / "memory", upload_mb=args.upload_mb, json_mb=args.json_mb, log=log
            )
    result["wall_s"] = round(time.monotonic() - t_start, 1)
    result["targets"] = [
        {"target": w, "measured": m, "verdict": v} for w, m, v in check_targets(result)
    ]
    print(report(result))
    print(f"\n(total {result['wall_s']} s; pinned: {result['machine']['pinned']})")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2))
    return 0


def first_byte(
    mock: MockUpstream, gw: Server, bodies: dict[str, tuple[Path, str]], n: int
) -> dict[str, Any]:
    body = bodies["chat_stream.json"][0].read_bytes()
    out: dict[str, Any] = {}
    for name, url, path in (
        ("mock", mock.url, "/sse/v1/chat/completions"),
        ("gateway", gw.url, "/v1/chat/completions"),
    ):
        port = int(url.rsplit(":", 1)[1])
        first_byte_times(port, path, body, min(5, n))  # warm-up
        times = sorted(first_byte_times(port, path, body, n))
        out[name] = {
            "n": n,
            "median_ms": round(statistics.median(times) * 1000, 3),
            "p90_ms": round(times[int(0.9 * (n - 1))] * 1000, 3),
        }
    out["added_ms"] = round(out["gateway"]["median_ms"] - out["mock"]["median_ms"], 3)
    return out


if __name__ == "__main__":
    sys.exit(main())
