"""Shared bench helpers: /proc readings, CPU pinning, starting servers, test documents."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = (
    "REPO",
    "Server",
    "cpu_seconds",
    "free_port",
    "multipart_body",
    "padded_pdf",
    "pin",
    "reset_peak",
    "rss",
    "server_facts",
    "start_server",
    "tiny_png",
)

REPO = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PYTHON = str(REPO / ".venv" / "bin" / "python")
MiB = 1 << 20
GATEWAY_CPU, LOAD_CPU = 0, 1
"""The server under test runs on core 0; wrk, nginx and py-spy on core 1."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pin(cpu: int | None) -> list[str]:
    """``taskset -c CPU`` prefix when pinning is possible (>= 2 cores and taskset installed)."""
    if cpu is None or shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return []
    return ["taskset", "-c", str(cpu)]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0]) * 1024
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (``echo 5 > clear_refs``; needs owner or root)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """Direct child pids (e.g. the local OCR pool's worker processes)."""
    out: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    if not task_dir.exists():
        return out
    for task in task_dir.iterdir():
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            status: int = r.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@dataclass
class Server:
    """A server process under test: the gateway or LiteLLM."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    startup_s: float
    """Process spawn to the first 200 answered on ``ready_path``."""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    name: str,
    cmd: list[str],
    port: int,
    log_path: Path,
    *,
    ready_path: str = "/v1/models",
    cpu: int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    cwd: Path | None = None,
) -> Server:
    """Spawn ``cmd`` (pinned to ``cpu``, in ``cwd``: the repository by default) and wait for a
    200 on ``ready_path``."""
    url = f"http://127.0.0.1:{port}"
    full = pin(cpu) + cmd
    with log_path.open("wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            full,
            cwd=cwd or REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    server = Server(name, url, proc, log_path, 0.0)
    deadline = t0 + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{name} exited with {proc.returncode} during startup:\n{server.log_tail()}"
            )
        if http_status(url + ready_path, timeout=1.0) == 200:
            server.startup_s = time.perf_counter() - t0
            return server
        if time.perf_counter() > deadline:
            server.stop()
            raise RuntimeError(f"{name} not ready within {timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(0.005)


def tiny_png() -> bytes:
    """A valid 1x1 PNG (67 bytes)."""
    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )


def padded_pdf(size: int, text: str = "Bench document") -> bytes:
    """A valid one-page PDF with a text layer, padded to ``size`` bytes with an unused stream.

    The padding is random (incompressible), like the images of a scanned document.
    """
    content = f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%b\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]

    def build(pad: int) -> bytes:
        objs = [*objects, b"<< /Length %d >>\nstream\n%b\nendstream" % (pad, os.urandom(pad))]
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, obj in enumerate(objs, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%b\nendobj\n" % (i, obj)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objs) + 1,
            xref,
        )
        return bytes(out)

    overhead = len(build(0))
    return build(max(0, size - overhead - 16))


def multipart_body(
    filename: str, data: bytes, ctype: str, fields: dict[str, str] | None = None
) -> tuple[bytes, str]:
    """(body, content-type) of a multipart/form-data upload in the ``file`` field."""
    boundary = "aigwbench" + os.urandom(8).hex()
    parts = bytearray()
    for k, v in (fields or {}).items():
        parts += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        )
    parts += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        f"\r\nContent-Type: {ctype}\r\n\r\n"
    ).encode()
    parts += data
    parts += f"\r\n--{boundary}--\r\n".encode()
    return bytes(parts), f"multipart/form-data; boundary={boundary}"


def ocr_json(model: str, data: bytes, ctype: str) -> bytes:
    """A Mistral-style OCR JSON body with the document as a base64 data URI."""
    kind = "image_url" if ctype.startswith("image/") else "document_url"
    uri = f"data:{ctype};base64," + base64.b64encode(data).decode()
    return json.dumps({"model": model, "document": {"type": kind, kind: uri}}).encode()


def server_facts(server: Server) -> dict[str, Any]:
    idle, _ = rss(server.pid)
    kids = []
    for k in children(server.pid):
        try:
            kids.append(round(rss(k)[0] / MiB, 1))
        except OSError:
            continue
    return {
        "startup_s": round(server.startup_s, 3),
        "idle_rss_mb": round(idle / MiB, 1),
        "children_idle_rss_mb": kids,
    }
