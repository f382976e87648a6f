"""Server memory under large bodies: VmHWM growth of the gateway process for one big request.

Each case starts a fresh gateway (pinned to core 0), warms it with a small request, resets the
peak-RSS counter (``/proc/PID/clear_refs``; when that is refused the growth is measured against
the idle RSS instead), sends one large body from a raw socket client and reads VmHWM again.
The local OCR pool's worker processes are children of the server: their peak RSS is reported
apart, never added to the server's figure.

Run alone: ``.venv/bin/python bench/upload_memory.py [--upload-mb 100] [--json-mb 20]``.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    PYTHON,
    children,
    free_port,
    multipart_body,
    ocr_json,
    padded_pdf,
    reset_peak,
    rss,
    start_server,
)
from mock_upstream import start_mock
from scenarios import gateway_config, local_ocr_config

__all__ = ("post_raw", "run_memory_cases")

MB = 1_000_000
MiB = 1 << 20


def post_raw(
    port: int, path: str, body: bytes, ctype: str, timeout: float = 300.0
) -> tuple[int | None, float, bytes]:
    """POST ``body`` over a plain socket; stops sending when the server answers early (413).

    Returns (status or None, seconds, first bytes of the response body).
    """
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    t0 = time.perf_counter()
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    view = memoryview(body)
    try:
        sock.sendall(head)
        for off in range(0, len(body), MiB):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break  # an early answer: the server refused the body
            sock.sendall(view[off : off + MiB])
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = bytearray()
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    finally:
        sock.close()
    elapsed = time.perf_counter() - t0
    status = None
    if data.startswith(b"HTTP/1."):
        status = int(data.split(b" ", 2)[1])
    body_start = data.find(b"\r\n\r\n")
    return status, elapsed, bytes(data[body_start + 4 : body_start + 300])


def _case(
    label: str,
    config: str,
    body: bytes,
    ctype: str,
    workdir: Path,
    *,
    warm_body: tuple[bytes, str],
    reference_size: int,
) -> dict[str, Any]:
    cfg = workdir / f"{label}.toml"
    cfg.write_text(config)
    port = free_port()
    cmd = [PYTHON, "-m", "aigateway", "serve", "--config", str(cfg)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    with start_server(label, cmd, port, workdir / f"{label}.log", cpu=0) as gw:
        warm_status, _, _ = post_raw(port, "/v1/ocr", *warm_body)
        time.sleep(0.2)
        idle, hwm0 = rss(gw.pid)
        kids = children(gw.pid)
        kid_idle = {k: rss(k)[0] for k in kids}
        was_reset = reset_peak(gw.pid)
        for k in kids:
            reset_peak(k)
        base = idle if was_reset else max(idle, hwm0)
        status, seconds, answer = post_raw(port, "/v1/ocr", body, ctype)
        time.sleep(0.2)
        after, hwm = rss(gw.pid)
        kid_peak = {}
        for k in children(gw.pid):
            try:
                kid_peak[k] = rss(k)[1]
            except OSError:
                continue
        growth = max(0, hwm - base)
        return {
            "case": label,
            "status": status,
            "warm_status": warm_status,
            "seconds": round(seconds, 3),
            "body_bytes": len(body),
            "idle_rss_mb": round(idle / MiB, 1),
            "peak_rss_mb": round(hwm / MiB, 1),
            "rss_after_mb": round(after / MiB, 1),
            "growth_mb": round(growth / MiB, 1),
            "growth_x_body": round(growth / reference_size, 2),
            "peak_was_reset": was_reset,
            "ocr_workers_idle_rss_mb": [round(v / MiB, 1) for v in kid_idle.values()],
            "ocr_workers_peak_rss_mb": [round(v / MiB, 1) for v in kid_peak.values()],
            "answer": answer[:160].decode("utf-8", "replace"),
        }


def run_memory_cases(
    workdir: Path, *, upload_mb: int = 100, json_mb: int = 20, log: Any = print
) -> list[dict[str, Any]]:
    """The upload-memory cases; ``upload_mb``/``json_mb`` shrink them for smoke runs."""
    workdir.mkdir(parents=True, exist_ok=True)
    small_pdf = padded_pdf(4096)
    warm = multipart_body("warm.pdf", small_pdf, "application/pdf")
    big_pdf = padded_pdf(upload_mb * MB)
    big_multi, big_ctype = multipart_body("big.pdf", big_pdf, "application/pdf")
    del big_pdf
    json_pdf = padded_pdf(json_mb * MB)
    js_local = ocr_json("local", json_pdf, "application/pdf")
    js_mistral = ocr_json("mistral-ocr-latest", json_pdf, "application/pdf")
    del json_pdf
    results = []
    half, one_and_half = upload_mb * MB // 2, upload_mb * MB * 3 // 2
    cases: list[tuple[str, str, bytes, str, int]] = [
        (
            f"local-multipart-{upload_mb}mb-cap-{half // MB}mb",
            local_ocr_config(half),
            big_multi,
            big_ctype,
            len(big_multi),
        ),
        (
            f"local-multipart-{upload_mb}mb-cap-{one_and_half // MB}mb",
            local_ocr_config(one_and_half),
            big_multi,
            big_ctype,
            len(big_multi),
        ),
        (
            f"local-json-{json_mb}mb",
            local_ocr_config(one_and_half),
            js_local,
            "application/json",
            len(js_local),
        ),
    ]
    with start_mock(cpu=1) as mock:
        cases += [
            (
                f"mistral-json-{json_mb}mb",
                gateway_config(mock.url),
                js_mistral,
                "application/json",
                len(js_mistral),
            ),
            (
                f"mistral-multipart-{upload_mb}mb-cap-{one_and_half // MB}mb",
                gateway_config(mock.url).replace(
                    "[logging]", f"[limits]\nmax_size_upload = {one_and_half}\n\n[logging]"
                ),
                big_multi,
                big_ctype,
                len(big_multi),
            ),
        ]
        for label, config, body, ctype, ref in cases:
            try:
                r = _case(label, config, body, ctype, workdir, warm_body=warm, reference_size=ref)
            except Exception as exc:  # report and go on: one broken case must not hide the rest
                r = {"case": label, "error": str(exc)[-500:]}
            log(
                f"  {label}: status {r.get('status')} growth {r.get('growth_mb')} MB "
                f"({r.get('growth_x_body')}x body) peak {r.get('peak_rss_mb')} MB"
            )
            results.append(r)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upload-mb", type=int, default=100)
    ap.add_argument("--json-mb", type=int, default=20)
    ap.add_argument("--json", dest="json_out", help="write the results to this file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="aigw-bench-mem-") as tmp:
        results = run_memory_cases(Path(tmp), upload_mb=args.upload_mb, json_mb=args.json_mb)
    text = json.dumps(results, indent=2)
    if args.json_out:
        Path(args.json_out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
