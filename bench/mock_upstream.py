"""The benchmark's upstream: nginx answering fixed bodies on 127.0.0.1, so it never dominates.

One nginx worker (pinned to a core when asked) answers, from memory and with no I/O:

===============================  ===============================================================
path                             answer
===============================  ===============================================================
``POST /v1/ocr``                 a one-page Mistral OCR result (JSON); request bodies discarded
``POST /v1/chat/completions``    an OpenAI chat completion (JSON)
``POST /sse/v1/chat/completions``  an SSE stream: ``SSE_CHUNKS`` chunks then ``data: [DONE]``
``POST /v1/embeddings``          one 256-dimension embedding
``GET /v1/models``               a model list
===============================  ===============================================================

``POST /read/v1/ocr`` answers the same once the whole request body is read (through an internal
``proxy_pass``): a bare ``return`` answers before reading the body, and wrk, still sending a
20 MB body, then stalls; the large-body baselines use this path.

The gateway's streaming chat entity points at ``/sse/v1`` (nginx cannot branch on the body's
``stream`` flag). Bodies contain no ``$`` or backslash: nginx would expand or unescape them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ("SSE_CHUNKS", "MockUpstream", "find_nginx", "start_mock")

SSE_CHUNKS = 20
CREATED = 1_700_000_000

OCR_BODY = {
    "pages": [
        {
            "index": 0,
            "markdown": "# Bench document. Hello from the mock upstream.",
            "images": [],
            "dimensions": {"dpi": 200, "height": 2200, "width": 1700},
        }
    ],
    "model": "mistral-ocr-latest",
    "usage_info": {"pages_processed": 1, "doc_size_bytes": 1024},
}
CHAT_BODY = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": CREATED,
    "model": "gpt-bench",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello from the bench mock upstream."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
}
EMBED_BODY = {
    "object": "list",
    "data": [
        {"object": "embedding", "index": 0, "embedding": [round(i / 257, 6) for i in range(256)]}
    ],
    "model": "embed-bench",
    "usage": {"prompt_tokens": 4, "total_tokens": 4},
}
MODELS_BODY = {
    "object": "list",
    "data": [
        {"id": m, "object": "model", "created": CREATED, "owned_by": "bench"}
        for m in ("gpt-bench", "gpt-bench-stream", "embed-bench")
    ],
}


def _chunk(delta: dict[str, str], finish: str | None, usage: bool = False) -> str:
    body: dict[str, object] = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "gpt-bench-stream",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        body["usage"] = {"prompt_tokens": 12, "completion_tokens": SSE_CHUNKS, "total_tokens": 32}
    return "data: " + json.dumps(body, separators=(",", ":")) + "\n\n"


def sse_body() -> str:
    """The streamed answer: a role chunk, content chunks, a final chunk with usage, [DONE]."""
    parts = [_chunk({"role": "assistant", "content": ""}, None)]
    parts += [_chunk({"content": f"tok{i} "}, None) for i in range(SSE_CHUNKS - 2)]
    parts.append(_chunk({}, "stop", usage=True))
    parts.append("data: [DONE]\n\n")
    return "".join(parts)


def _literal(text: str) -> str:
    if any(c in text for c in "$\\'"):
        raise ValueError(f"nginx would expand or unescape this body: {text[:80]}")
    return "'" + text + "'"


def _location(path: str, ctype: str, body: str) -> str:
    return f"    location = {path} {{ default_type {ctype}; return 200 {_literal(body)}; }}\n"


def nginx_conf(workdir: Path, port: int, cpu: int | None) -> str:
    js = {
        "/v1/ocr": OCR_BODY,
        "/v1/chat/completions": CHAT_BODY,
        "/v1/embeddings": EMBED_BODY,
        "/v1/models": MODELS_BODY,
    }
    locations = "".join(
        _location(p, "application/json", json.dumps(b, separators=(",", ":")))
        for p, b in js.items()
    )
    locations += _location("/sse/v1/chat/completions", "text/event-stream", sse_body())
    affinity = f"worker_cpu_affinity {1 << cpu:b};\n" if cpu is not None else ""
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""\
{user}worker_processes 1;
{affinity}daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/body;
  client_max_body_size 0;
  client_body_buffer_size 64m;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
{locations}    location = /read/v1/ocr {{
      proxy_pass http://127.0.0.1:{port}/v1/ocr;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
    location / {{ return 404; }}
  }}
}}
"""


def find_nginx() -> str | None:
    """The nginx binary (Debian installs it in /usr/sbin, which a user PATH may lack)."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class MockUpstream:
    url: str
    process: subprocess.Popen[bytes]
    workdir: Path

    def pids(self) -> list[int]:
        """nginx master and worker pids."""
        out = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            out += [int(p) for p in children.read_text().split()]
        return out

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, master exits
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> MockUpstream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_mock(cpu: int | None = None, timeout: float = 10.0) -> MockUpstream:
    """Start nginx on a free loopback port; ``cpu`` pins its worker to that core."""
    nginx = find_nginx()
    if nginx is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    workdir = Path(tempfile.mkdtemp(prefix="aigw-bench-nginx-"))
    os.chmod(workdir, 0o755)
    for attempt in range(3):
        port = _free_port()
        conf = workdir / "nginx.conf"
        conf.write_text(nginx_conf(workdir, port, cpu))
        err = (workdir / "stderr").open("wb")
        proc = subprocess.Popen(
            [nginx, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
        )
        err.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return MockUpstream(f"http://127.0.0.1:{port}", proc, workdir)
            except OSError:
                time.sleep(0.02)
        log = (workdir / "stderr").read_text(errors="replace")
        log += (
            (workdir / "error.log").read_text(errors="replace")
            if (workdir / "error.log").exists()
            else ""
        )
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        if "Address already in use" in log and attempt < 2:
            continue
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(f"nginx did not start: {log.strip()[-2000:]}")
    raise AssertionError("unreachable")
