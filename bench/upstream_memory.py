"""Gateway memory and CPU while a hostile upstream sends 100 MB bodies (and one hostile client).

A loopback upstream (``tests/support/upstreams/hostile.py``, run in this process) generates its bodies
as it sends them: a 100 MB chat completion (chunked, and with ``Content-Length``), a 100 MB
Mistral OCR page, a 100 MB SSE event that never ends. The gateway (``aigateway serve`` as
shipped, pinned to core 0) runs twice in the same run:

- **capped**: the default ``max_response_size`` (64 MiB) and ``max_event_size`` (8 MiB);
- **uncapped**: both raised to 2 GiB, which is what the gateway did before the caps existed:
  the reference the capped figures are compared with.

Per case: the VmHWM growth of the gateway process over its RSS before the request (peak reset
through ``/proc/PID/clear_refs``), the same growth for a 16-byte answer on the same path (the
noise floor, measured in the same run), the status the client got and the gateway's CPU seconds.
A last case sends the gateway a 100 MB JSON body of empty lists in a field it does not read
(hostile client input that used to decode into gigabytes). The SSE event is also sent at half
size to the uncapped gateway: CPU for 2x the bytes is about 2x when the relay is linear.

Run: ``.venv/bin/python bench/upstream_memory.py [--mb 100] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import PYTHON, REPO, cpu_seconds, free_port, reset_peak, rss, start_server

sys.path.insert(0, str(REPO))
from tests.support.upstreams.hostile import HostileUpstream

MB = 1_000_000
MiB = 1 << 20
SMALL = 16
GiB2 = 2 << 30

CONFIG = """
[limits]
max_size_upload = 104857600

[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "{url}"
api_key = "k"
max_retries = 0
{ocr_caps}

[[chat_models]]
id = "up"
base_url = "{url}/v1"
models = ["huge", "huge-declared", "sse-endless", "fine"]
{chat_caps}

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["mistral"]
chat_model_refs = ["up"]

[logging]
access_log = false
"""


def _config(url: str, capped: bool, cap: int | None = None) -> str:
    if capped and cap is None:
        return CONFIG.format(url=url, ocr_caps="", chat_caps="")  # the shipped defaults
    if capped:
        return CONFIG.format(
            url=url,
            ocr_caps=f"max_response_size = {cap}",
            chat_caps=f"max_response_size = {cap}\nmax_event_size = {cap}",
        )
    return CONFIG.format(
        url=url,
        ocr_caps=f"max_response_size = {GiB2}",
        chat_caps=f"max_response_size = {GiB2}\nmax_event_size = {GiB2}",
    )


def _post(port: int, path: str, body: bytes, timeout: float = 600.0) -> tuple[int | None, int]:
    """POST over a raw socket, read and discard the answer: (status, answer bytes)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        view = memoryview(body)
        for off in range(0, len(body), MiB):
            sock.sendall(view[off : off + MiB])
        first = b""
        total = 0
        while True:
            chunk = sock.recv(1 << 18)
            if not chunk:
                break
            if len(first) < 64:
                first += chunk[:64]
            total += len(chunk)
    status = int(first.split(b" ", 2)[1]) if first.startswith(b"HTTP/1.") else None
    return status, total


def _chat(model: str, stream: bool = False) -> bytes:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    return json.dumps(body).encode()


OCR_BODY = json.dumps({"provider": "mistral", "document_url": "https://example.com/a.pdf"})

CASES: list[tuple[str, str, bytes]] = [
    ("chat JSON, chunked", "/v1/chat/completions", _chat("huge")),
    ("chat JSON, Content-Length", "/v1/chat/completions", _chat("huge-declared")),
    ("chat SSE, endless event", "/v1/chat/completions", _chat("sse-endless", stream=True)),
    ("OCR mistral page", "/v1/ocr", OCR_BODY.encode()),
]


def _measure(pid: int, port: int, path: str, body: bytes) -> dict[str, Any]:
    time.sleep(0.2)
    before, _ = rss(pid)
    was_reset = reset_peak(pid)
    cpu0 = cpu_seconds(pid)
    t0 = time.perf_counter()
    status, answer = _post(port, path, body)
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds(pid) - cpu0
    _, hwm = rss(pid)
    return {
        "status": status,
        "answer_bytes": answer,
        "growth_mb": round(max(0, hwm - before) / MiB, 1) if was_reset else None,
        "cpu_s": round(cpu, 2),
        "seconds": round(seconds, 2),
    }


_DECODE = """
import msgspec, sys
size = int(sys.argv[1])
filler = b'{"junk": [' + b"[]," * (size // 3) + b'[]]}'
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
before = hwm()
value = msgspec.json.decode(filler)
print(hwm() - before)
"""


def _full_decode_growth(size: int) -> float:
    """Peak RSS growth of decoding the filler body whole (the pre-pruning cost), in MB."""
    out = subprocess.run(
        [PYTHON, "-c", _DECODE, str(size)], capture_output=True, text=True, check=True
    )
    return round(int(out.stdout) / MiB, 1)


def run(workdir: Path, mb: int, cap: int | None = None, log: Any = print) -> dict[str, Any]:
    """Every case, capped (``cap`` bytes, else the defaults) and uncapped, plus the hostile
    client body and the SSE CPU ratio."""
    size = mb * MB
    upstream = HostileUpstream(size=size).start()
    results: dict[str, Any] = {"body_mb": mb, "cases": []}
    try:
        for capped in (True, False):
            label = "capped" if capped else "uncapped"
            cfg = workdir / f"{label}.toml"
            cfg.write_text(_config(upstream.url, capped, cap))
            port = free_port()
            cmd = [PYTHON, "-m", "aigateway", "serve", "--config", str(cfg)]
            cmd += ["--host", "127.0.0.1", "--port", str(port)]
            with start_server(label, cmd, port, workdir / f"{label}.log", cpu=0) as gw:
                upstream.size = SMALL
                _post(port, "/v1/chat/completions", _chat("fine"))  # warm
                results[f"{label}_idle_rss_mb"] = round(rss(gw.pid)[0] / MiB, 1)
                for name, path, body in CASES:
                    upstream.size = SMALL
                    floor = _measure(gw.pid, port, path, body)
                    upstream.size = size
                    big = _measure(gw.pid, port, path, body)
                    row = {"case": name, "gateway": label, "floor": floor, **big}
                    results["cases"].append(row)
                    log(
                        f"  {label:8} {name:28} status {big['status']} growth "
                        f"{big['growth_mb']} MB (16 B answer: {floor['growth_mb']} MB) "
                        f"cpu {big['cpu_s']} s"
                    )
                if not capped:
                    upstream.size = size // 2
                    half = _measure(gw.pid, port, *CASES[2][1:])
                    upstream.size = size
                    full = _measure(gw.pid, port, *CASES[2][1:])
                    ratio = full["cpu_s"] / half["cpu_s"] if half["cpu_s"] else None
                    results["sse_cpu"] = {"half": half, "full": full, "ratio": ratio}
                    log(
                        f"  uncapped SSE event CPU: {mb // 2} MB {half['cpu_s']} s, {mb} MB "
                        f"{full['cpu_s']} s (ratio {ratio and round(ratio, 2)}; linear is ~2)"
                    )
                else:
                    upstream.size = SMALL
                    filler = b'{"junk": [' + b"[]," * (size // 3) + b'[]], "model": "x",'
                    filler += b' "document_url": "https://example.com/a.pdf"}'
                    row = {"case": f"client JSON filler {mb} MB", "gateway": label}
                    row.update(_measure(gw.pid, port, "/v1/ocr", filler))
                    results["cases"].append(row)
                    ref = _full_decode_growth(size)
                    results["filler_full_decode_mb"] = ref
                    log(
                        f"  {label:8} {row['case']:28} status {row['status']} growth "
                        f"{row['growth_mb']} MB cpu {row['cpu_s']} s (decoding it whole: "
                        f"{ref} MB)"
                    )
    finally:
        upstream.stop()
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=100, help="size of each hostile body (MB)")
    ap.add_argument("--cap-mib", type=int, help="caps of the capped run (default: shipped)")
    ap.add_argument("--json", dest="json_out", help="write the results to this file")
    args = ap.parse_args()
    cap = args.cap_mib * MiB if args.cap_mib else None
    with tempfile.TemporaryDirectory(prefix="aigw-bench-upmem-") as tmp:
        results = run(Path(tmp), args.mb, cap)
    capped = {r["case"]: r for r in results["cases"] if r["gateway"] == "capped"}
    uncapped = {r["case"]: r for r in results["cases"] if r["gateway"] == "uncapped"}
    print(f"\nGateway peak RSS growth for one {args.mb} MB upstream body (MB):")
    print(f"{'case':30} {'capped':>8} {'uncapped':>9} {'ratio':>7} {'16 B floor':>11}")
    for name, row in capped.items():
        ref = uncapped.get(name)
        ratio = ""
        if ref and ref["growth_mb"] and row["growth_mb"] is not None:
            ratio = f"{row['growth_mb'] / ref['growth_mb']:.2f}"
        print(
            f"{name:30} {row['growth_mb']!s:>8} {(ref or {}).get('growth_mb', '-')!s:>9} "
            f"{ratio:>7} {row.get('floor', {}).get('growth_mb', '-')!s:>11}"
        )
    print(
        f"client JSON filler: decoding it whole would grow {results.get('filler_full_decode_mb')}"
        " MB (same run, separate process)"
    )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
