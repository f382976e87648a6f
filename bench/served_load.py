"""Load for the served local OCR engine: the gateway, its documents and a catalogue of requests.

Used by ``ocr_served.py`` (loop lag and the soak). The gateway runs as shipped (``aigateway
serve``: uvloop, httptools) with the built-in ``local`` engine and, for the soak's chat part,
an OpenAI-style entity pointing at the nginx mock (``mock_upstream.py``). Every request here
knows the answer it must get, so a run counts wrong answers, not only errors.
"""

from __future__ import annotations

import base64
import io
import json
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from common import PYTHON, REPO, Server, free_port, start_server

sys.path.insert(0, str(REPO))
from tests.support.docgen import (  # the repository's test documents
    on_grain,
    render_text,
    scanned_pdf,
)
from tests.support.sized_docs import sized_document

__all__ = (
    "DOCS",
    "Doc",
    "Request",
    "bad_requests",
    "busy_pdf",
    "chat_requests",
    "gateway_config",
    "ocr_requests",
    "pool_pids",
    "start_gateway",
    "words",
)

MiB = 1 << 20


def gateway_config(pool_workers: int, mock_url: str | None = None) -> str:
    """The local engine (and, with ``mock_url``, a chat entity on the mock), access log off."""
    chat = ""
    refs = "[]"
    if mock_url:
        refs = '["chat", "chat-sse"]'
        chat = f"""
[[chat_models]]
id = "chat"
base_url = "{mock_url}/v1"
api_key = "sk-bench"
models = ["gpt-bench"]

[[chat_models]]
id = "chat-sse"
base_url = "{mock_url}/sse/v1"
api_key = "sk-bench"
models = ["gpt-bench-stream"]
"""
    return f"""\
[logging]
access_log = false

[limits]
max_size_upload = {8 * MiB}

[ocr_pool]
workers = {pool_workers}

[[ocr_models]]
id = "local"
provider = "local"
{chat}
[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
chat_model_refs = {refs}
"""


def start_gateway(workdir: Path, config: str, tag: str) -> Server:
    """``aigateway serve`` on a free port, ready once ``/readyz`` says the pool is live."""
    cfg = workdir / f"gateway-{tag}.toml"
    cfg.write_text(config)
    port = free_port()
    cmd = [PYTHON, "-m", "aigateway", "serve", "--config", str(cfg), "--host", "127.0.0.1"]
    cmd += ["--port", str(port)]
    return start_server(
        "gateway", cmd, port, workdir / f"gateway-{tag}.log", ready_path="/readyz", timeout=120
    )


def pool_pids(server_pid: int) -> list[int]:
    """The server's descendants: forkserver, resource tracker and the OCR workers."""
    out: list[int] = []
    todo = [server_pid]
    while todo:
        pid = todo.pop()
        task_dir = Path(f"/proc/{pid}/task")
        if not task_dir.exists():
            continue
        for task in task_dir.iterdir():
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@dataclass(frozen=True)
class Doc:
    """A document the local engine must read as ``text``."""

    name: str
    data: bytes
    media_type: str
    text: str


def _docs() -> list[Doc]:
    cases = [
        ("png", 1024, "Tiny png reads one kilobyte"),
        ("jpeg", 100 * 1024, "Jpeg photo of a receipt for coffee"),
        ("pdf", 300 * 1024, "Scanned letter about the garden fence"),
        ("pdf", MiB + 1, "Contract page with one byte over a mebibyte"),
    ]
    out = []
    for fmt, size, text in cases:
        data, media_type = sized_document(fmt, text, size)
        out.append(Doc(f"{fmt}-{size // 1024}k", data, media_type, text))
    return out


DOCS: list[Doc] = []
"""Filled by :func:`ocr_requests` on first use (documents take a moment to build)."""


@dataclass(frozen=True)
class Request:
    """One request and how to judge its answer."""

    kind: str
    name: str
    send: Callable[[httpx.Client], httpx.Response]
    expect: Callable[[httpx.Response], bool]


def _ocr_json(doc: Doc) -> Callable[[httpx.Client], httpx.Response]:
    body = {"document_base64": base64.b64encode(doc.data).decode(), "content_type": doc.media_type}
    return lambda c: c.post("/v1/ocr", json=body)


def _ocr_multipart(doc: Doc) -> Callable[[httpx.Client], httpx.Response]:
    return lambda c: c.post("/v1/ocr", files={"file": ("doc", doc.data, doc.media_type)})


def _reads(doc: Doc) -> Callable[[httpx.Response], bool]:
    want = words(doc.text)
    return lambda r: r.status_code == 200 and words(r.json()["text"]) == want


def ocr_requests() -> list[Request]:
    """Every soak document, as base64 JSON and as multipart."""
    if not DOCS:
        DOCS.extend(_docs())
    out = []
    for doc in DOCS:
        out.append(Request("ocr", f"{doc.name}-json", _ocr_json(doc), _reads(doc)))
        out.append(Request("ocr", f"{doc.name}-multipart", _ocr_multipart(doc), _reads(doc)))
    return out


def chat_requests() -> list[Request]:
    """A chat completion, plain and streamed (the mock answers both)."""
    msgs = [{"role": "user", "content": "Say hello."}]

    def plain(c: httpx.Client) -> httpx.Response:
        return c.post("/v1/chat/completions", json={"model": "gpt-bench", "messages": msgs})

    def stream(c: httpx.Client) -> httpx.Response:
        body = {"model": "gpt-bench-stream", "messages": msgs, "stream": True}
        return c.post("/v1/chat/completions", json=body)

    return [
        Request("chat", "chat", plain, lambda r: r.status_code == 200 and "choices" in r.json()),
        Request(
            "chat",
            "chat-stream",
            stream,
            lambda r: r.status_code == 200 and r.text.rstrip().endswith("data: [DONE]"),
        ),
    ]


def _status(code: int) -> Callable[[httpx.Response], bool]:
    def ok(r: httpx.Response) -> bool:
        return r.status_code == code and "error" in r.json()

    return ok


def _raw(path: str, body: bytes, ctype: str = "application/json") -> Callable[..., Any]:
    return lambda c: c.post(path, content=body, headers={"content-type": ctype})


def bad_requests() -> list[Request]:
    """Hostile or wrong requests, each with the 4xx it must get (never a 5xx)."""
    pdf = scanned_pdf(["Bench page"])
    b64 = base64.b64encode(pdf).decode()
    deep = "[" * 2000 + "]" * 2000
    cases: list[tuple[str, Callable[..., Any], int]] = [
        ("bad-json", _raw("/v1/ocr", b"{nope"), 400),
        ("json-array", _raw("/v1/ocr", b"[1,2]"), 400),
        ("deep-json", _raw("/v1/ocr", deep.encode()), 400),
        ("no-document", _raw("/v1/ocr", b'{"model": "local"}'), 400),
        ("bad-base64", _raw("/v1/ocr", b'{"document_base64": "%%%notbase64%%%"}'), 400),
        (
            "text-not-a-document",
            _raw("/v1/ocr", json.dumps({"document_base64": base64.b64encode(b"hi").decode()})),
            415,
        ),
        (
            "corrupt-pdf",
            _raw(
                "/v1/ocr",
                json.dumps(
                    {
                        "document_base64": base64.b64encode(b"%PDF-1.7\n" + bytes(3000)).decode(),
                        "content_type": "application/pdf",
                    }
                ).encode(),
            ),
            422,
        ),
        (
            "pages-out-of-range",
            _raw("/v1/ocr", json.dumps({"document_base64": b64, "pages": [7]}).encode()),
            400,
        ),
        (
            "pages-wrong-type",
            _raw("/v1/ocr", json.dumps({"document_base64": b64, "pages": {"a": 1}}).encode()),
            400,
        ),
        (
            "unknown-provider",
            _raw("/v1/ocr", json.dumps({"document_base64": b64, "provider": "x"}).encode()),
            404,
        ),
        (
            "chat-unknown-model",
            _raw("/v1/chat/completions", b'{"model": "nope", "messages": []}'),
            404,
        ),
        ("chat-bad-json", _raw("/v1/chat/completions", b'{"model": '), 400),
        ("no-such-path", lambda c: c.get("/v1/nothing"), 404),
    ]
    return [Request("bad", name, send, _status(code)) for name, send, code in cases]


def busy_pdf(pages: int) -> bytes:
    """A scanned PDF of ``pages`` pages: seconds of work for the pool."""
    return scanned_pdf([f"Busy page {i} keeps a worker occupied" for i in range(pages)])


def cold_pages() -> dict[str, tuple[bytes, str]]:
    """Two full A4 pages at 200 DPI: a clean scanned PDF, and a JPEG of the same print under
    paper grain (as the corpus's grainy pages), whose doubtful words the engine reads again."""
    words = "The harbour office forwards every cover sheet to the customs desk before noon; "
    words += "invoice No. 4471-B (12.5 kg, $318.40) is due 03/11."
    text = " ".join([words] * 20)
    grainy = on_grain(render_text(text, size=30, width=1654, min_height=2339), seed=3)
    buf = io.BytesIO()
    grainy.save(buf, format="JPEG", quality=85)
    return {
        "clean": (scanned_pdf([text], size=30), "application/pdf"),
        "grainy": (buf.getvalue(), "image/jpeg"),
    }


def pick(rng: random.Random, catalogue: dict[str, list[Request]], mix: dict[str, float]) -> Request:
    """A request of a kind drawn by ``mix`` weights."""
    kind = rng.choices(list(mix), weights=list(mix.values()))[0]
    return rng.choice(catalogue[kind])
