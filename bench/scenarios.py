"""What the bench sends: the scenarios, their request bodies and the gateway config."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from common import multipart_body, ocr_json, padded_pdf, tiny_png

__all__ = ("SCENARIOS", "Scenario", "gateway_config", "local_ocr_config", "write_bodies")

MB = 1_000_000


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    """Path on the gateway (and on LiteLLM)."""
    mock_path: str
    """Path on the mock upstream that the same request maps to (the baseline)."""
    connections: tuple[int, ...] = (1, 16, 64)
    body: str | None = None
    """Name of the body file written by :func:`write_bodies`."""
    ocr: bool = False
    big: bool = False
    """Large bodies: fewer connections and a longer wrk timeout."""


SCENARIOS = [
    Scenario("ocr-small", "POST", "/v1/ocr", "/v1/ocr", body="ocr_small.json", ocr=True),
    Scenario("ocr-json-1mb", "POST", "/v1/ocr", "/v1/ocr", body="ocr_1mb.json", ocr=True),
    Scenario(
        "ocr-json-20mb",
        "POST",
        "/v1/ocr",
        "/read/v1/ocr",
        (1, 4, 16),
        body="ocr_20mb.json",
        ocr=True,
        big=True,
    ),
    Scenario(
        "ocr-multipart-20mb",
        "POST",
        "/v1/ocr",
        "/read/v1/ocr",
        (1, 4, 16),
        body="ocr_20mb.multipart",
        ocr=True,
        big=True,
    ),
    Scenario("chat", "POST", "/v1/chat/completions", "/v1/chat/completions", body="chat.json"),
    Scenario(
        "chat-stream",
        "POST",
        "/v1/chat/completions",
        "/sse/v1/chat/completions",
        body="chat_stream.json",
    ),
    Scenario("embeddings", "POST", "/v1/embeddings", "/v1/embeddings", body="embeddings.json"),
    Scenario("models", "GET", "/v1/models", "/v1/models"),
]


def write_bodies(directory: Path, names: set[str] | None = None) -> dict[str, tuple[Path, str]]:
    """Write the request bodies; returns name -> (file, content type)."""
    directory.mkdir(parents=True, exist_ok=True)
    js = "application/json"
    makers = {
        "ocr_small.json": lambda: (ocr_json("mistral-ocr-latest", tiny_png(), "image/png"), js),
        "ocr_1mb.json": lambda: (
            ocr_json("mistral-ocr-latest", padded_pdf(1 * MB), "application/pdf"),
            js,
        ),
        "ocr_20mb.json": lambda: (
            ocr_json("mistral-ocr-latest", padded_pdf(20 * MB), "application/pdf"),
            js,
        ),
        "ocr_20mb.multipart": lambda: multipart_body(
            "bench.pdf", padded_pdf(20 * MB), "application/pdf", {"model": "mistral-ocr-latest"}
        ),
        "chat.json": lambda: (
            json.dumps(
                {"model": "gpt-bench", "messages": [{"role": "user", "content": "Say hello"}]}
            ).encode(),
            js,
        ),
        "chat_stream.json": lambda: (
            json.dumps(
                {
                    "model": "gpt-bench-stream",
                    "stream": True,
                    "messages": [{"role": "user", "content": "Say hello"}],
                }
            ).encode(),
            js,
        ),
        "embeddings.json": lambda: (
            json.dumps({"model": "embed-bench", "input": "hello world"}).encode(),
            js,
        ),
    }
    out: dict[str, tuple[Path, str]] = {}
    for name, make in makers.items():
        if names is not None and name not in names:
            continue
        data, ctype = make()
        path = directory / name
        path.write_bytes(data)
        out[name] = (path, ctype)
    return out


def gateway_config(mock_url: str, *, access_log: bool = True) -> str:
    """Route OCR to the mock as a ``mistral`` entity and chat/embeddings as ``openai``."""
    return f"""\
[logging]
access_log = {str(access_log).lower()}

[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "{mock_url}"
api_key = "sk-bench"
model = "mistral-ocr-latest"
max_retries = 0

[[chat_models]]
id = "chat"
base_url = "{mock_url}/v1"
api_key = "sk-bench"
models = ["gpt-bench", "embed-bench"]

[[chat_models]]
id = "chat-sse"
base_url = "{mock_url}/sse/v1"
api_key = "sk-bench"
models = ["gpt-bench-stream"]

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["mistral"]
chat_model_refs = ["chat", "chat-sse"]
"""


def local_ocr_config(max_size_upload: int, pool_workers: int = 1) -> str:
    """The built-in ``local`` OCR engine with a given upload cap (for upload memory)."""
    return f"""\
[limits]
max_size_upload = {max_size_upload}

[ocr_pool]
workers = {pool_workers}

[[ocr_models]]
id = "local"
provider = "local"
options = {{ languages = ["eng"] }}

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
"""
