"""Schemathesis against ``/openapi.json`` of a live ``aigateway serve``: no 5xx, and every
response conforms to the document (status, content type, headers, JSON bodies and each SSE
event of a streamed chat).

The gateway runs the local OCR engine and a loopback OpenAI-compatible chat upstream
(``tests/upstreams/openai_fake.py``). Runs are bounded and reproducible: a fixed number of
examples per operation, a fixed seed, no example database. Checks left out, and why:
``positive_data_acceptance`` (a schema-valid body may still hold a document that is not a
readable PDF: a 4xx is right) and ``negative_data_rejection`` (chat and embeddings bodies are
relayed and judged by the upstream; empty form fields count as absent, by design).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from aigateway.tenancy.auth import hash_key

from ..support.server import GatewayProcess
from ..support.upstreams.openai_fake import OpenAIFake

pytestmark = pytest.mark.slow

UPSTREAM_KEY = "sk-upstream-secret-123"
KEY = "sk-schemathesis-tenant-1"
ADMIN = "sk-schemathesis-admin-1"
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "unsupported_method",
    )
)
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAWzG0hAAAAABJRU5ErkJggg=="
)

CONFIG = """
{top}
[limits]
max_size_upload = 2000000

[ocr_pool]
workers = 2

[[ocr_models]]
id = "local"
provider = "local"

[[chat_models]]
id = "primary"
base_url = "{url}/v1"
api_key = "{upstream_key}"
models = ["gpt-test", "embed-test"]
timeout = 20

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
chat_model_refs = ["primary"]

[[routes]]
path = "/scan"
plugin = "ocr"
refs = ["local"]
{tenants}
"""

TENANTS = f"""
[[tenants]]
id = "acme"
api_keys = ["{hash_key(KEY)}"]
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[OpenAIFake]:
    fake = OpenAIFake("primary", UPSTREAM_KEY).start()
    try:
        yield fake
    finally:
        fake.stop()


def _config(upstream: OpenAIFake, *, tenants: bool) -> str:
    return CONFIG.format(
        top=f'admin_key = "{hash_key(ADMIN)}"',
        url=upstream.url,
        upstream_key=UPSTREAM_KEY,
        tenants=TENANTS if tenants else "",
    )


def schemathesis(
    location: str, base_url: str, workdir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run the schemathesis CLI of this environment (its files go to ``workdir``)."""
    cli = Path(sys.executable).with_name("schemathesis")
    cmd = [str(cli), "run", location, "--url", base_url, "--seed", "1", "--workers", "1"]
    cmd += ["--generation-database", "none", "--no-color", "--request-timeout", "120"]
    cmd += ["--phases", "examples,coverage,fuzzing", *args]
    return subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, timeout=480, check=False
    )


def _no_5xx_logged(gw: GatewayProcess) -> None:
    for line in gw.log().split("\n"):  # not splitlines(): paths may hold U+0085
        if line.startswith("{"):
            entry = json.loads(line)
            assert entry.get("status", 200) < 500, line


def test_no_5xx_and_responses_conform(
    upstream: OpenAIFake, gateway_server_factory: Callable[..., GatewayProcess], tmp_path: Path
) -> None:
    gw = gateway_server_factory(_config(upstream, tenants=False))
    # With auth off the document names the configured models, so examples reach the upstream
    # (JSON and streamed chat); the admin key opens /admin/usage.
    run = schemathesis(
        gw.url + "/openapi.json",
        gw.url,
        tmp_path,
        "--checks",
        CHECKS,
        "--max-examples",
        "15",
        "-H",
        f"Authorization: Bearer {ADMIN}",
        # /ocr, /scan and /scan/v1/ocr are the same operation as /v1/ocr (test_openapi.py
        # checks they are documented and answer): fuzzing one keeps the run short.
        "--exclude-path-regex",
        "^/(ocr|scan(/v1/ocr)?)$",
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "passed" in run.stdout
    streamed = [
        json.loads(line)
        for line in gw.log().split("\n")
        if line.startswith("{") and '"stream":true' in line
    ]
    assert any(e["status"] == 200 for e in streamed), "no streamed chat was exercised"
    # Found by this run once: a blank image (what schemathesis sends for binary fields) made
    # the local engine fail with a 500; it is an empty page.
    r = httpx.post(
        gw.url + "/v1/ocr", files={"image": ("blank.png", BLANK_PNG, "image/png")}, timeout=60
    )
    assert r.status_code == 200, r.text
    assert r.json()["pages"][0]["markdown"] == ""
    _no_5xx_logged(gw)


def test_with_tenants_auth_is_enforced_and_documented(
    upstream: OpenAIFake, gateway_server_factory: Callable[..., GatewayProcess], tmp_path: Path
) -> None:
    gw = gateway_server_factory(_config(upstream, tenants=True))
    run = schemathesis(
        gw.url + "/openapi.json",
        gw.url,
        tmp_path,
        "--checks",
        CHECKS + ",ignored_auth",
        "--max-examples",
        "5",
        "--phases",
        "examples,fuzzing",
        "-H",
        f"Authorization: Bearer {KEY}",
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    _no_5xx_logged(gw)


def test_the_checks_catch_a_response_the_document_does_not_describe(
    upstream: OpenAIFake, gateway_server_factory: Callable[..., GatewayProcess], tmp_path: Path
) -> None:
    # The same run against a document that demands a field nobody sends must fail, for the
    # OCR JSON answer and for the events of a streamed chat alike: the checks above can fail.
    gw = gateway_server_factory(_config(upstream, tenants=False))
    doc = httpx.get(gw.url + "/openapi.json").json()
    schemas = doc["components"]["schemas"]
    schemas["OcrResponse"]["required"].append("not_sent_ocr")
    schemas["ChatCompletionChunk"]["required"].append("not_sent_chunk")
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    for op, failure in (
        ("/v1/ocr", "not_sent_ocr"),
        ("/v1/chat/completions", "SSE event violates schema"),
    ):
        run = schemathesis(
            str(path),
            gw.url,
            tmp_path,
            "--checks",
            "response_schema_conformance",
            "--phases",
            "examples",
            "--include-path",
            op,
        )
        assert run.returncode != 0, run.stdout[-3000:]
        assert failure in run.stdout, run.stdout[-3000:]
