"""Property: no request a client can send makes ``aigateway serve`` answer a 5xx.

Hypothesis builds requests for ``/v1/ocr`` (JSON, multipart, urlencoded), ``/v1/chat/completions``
and ``/v1/embeddings``: known fields with values of every JSON type, unknown fields, JSON nested
up to thousands deep (as values and inside strings), multipart parts in real, unknown and
binary charsets, files of any declared type, wrong content types and raw bytes. The gateway runs
as shipped (uvloop, httptools) in front of a loopback upstream that always answers well, so any
5xx would be the gateway's own. Every error must be the OpenAI envelope.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.docgen import text_png
from tests.support.server import GatewayProcess, gateway_server
from tests.support.upstreams.hostile import HostileUpstream

pytestmark = pytest.mark.slow

CONFIG = """
[limits]
max_size_upload = 1048576
max_form_field_size = 65536

[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "{url}"
api_key = "k"
max_retries = 0

[[chat_models]]
id = "up"
base_url = "{url}/v1"
models = ["fine", "long-code"]

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["mistral"]
chat_model_refs = ["up"]
"""
PNG = text_png("fuzz", size=20, width=200)
PNG_B64 = base64.b64encode(PNG).decode()
OCR_FIELDS = [
    "model", "provider", "content_type", "pages", "pdf_password", "include_image_base64",
    "image_limit", "image_min_size", "table_format", "extract_header", "extract_footer",
    "document_annotation_format", "bbox_annotation_format", "document_annotation_prompt",
    "force_ocr", "id", "document", "document_url", "image_url", "document_base64",
    "image_base64", "file", "image",
]  # fmt: skip
CHARSETS = [None, "utf-8", "latin-1", "utf-16", "utf-7", "nonexistent-cs", "rot13", "zlib",
            "idna", "hex", "x" * 200, "utf-8\x00"]  # fmt: skip

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

text = st.text(max_size=40)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)
depths = st.sampled_from([1, 63, 64, 65, 200, 999, 3000])
documents = st.sampled_from(
    [
        PNG_B64,
        f"data:image/png;base64,{PNG_B64}",
        "data:application/pdf;base64,JVBERi0xLjQK",
        "not base64 at all!",
        "",
        "https://example.invalid/doc.pdf",
        "http://127.0.0.1:9/x.png",
    ]
)


def _nested(depth: int, core: str = "1") -> str:
    return "[" * depth + core + "]" * depth


@st.composite
def field_values(draw: st.DrawFn) -> str:
    """A JSON value's text: ordinary, or nested to some depth."""
    kind = draw(st.sampled_from(["value", "nested", "document", "object-document"]))
    if kind == "nested":
        return _nested(draw(depths))
    if kind == "document":
        return json.dumps(draw(documents))
    if kind == "object-document":
        key = draw(st.sampled_from(["document_url", "image_url", "document_base64", "file_id"]))
        inner = {"type": draw(st.sampled_from(["document_url", "image_url", "file", 7])), key: ""}
        inner[key] = draw(documents | json_values)
        return json.dumps(inner)
    return json.dumps(draw(json_values))


@st.composite
def json_bodies(draw: st.DrawFn, fields: list[str]) -> bytes:
    keys = draw(st.lists(st.sampled_from([*fields, "junk", ""]), max_size=6, unique=True))
    parts = [f"{json.dumps(k)}: {draw(field_values())}" for k in keys]
    body = "{" + ", ".join(parts) + "}"
    shape = draw(st.sampled_from(["object", "array", "deep", "scalar", "truncated", "bytes"]))
    if shape == "array":
        body = "[" + body + "]"
    elif shape == "deep":
        body = _nested(draw(depths), body)
    elif shape == "scalar":
        body = json.dumps(draw(scalars))
    elif shape == "truncated":
        body = body[: draw(st.integers(0, max(0, len(body) - 1)))]
    elif shape == "bytes":
        return draw(st.binary(max_size=200))
    return body.encode("utf-8", "surrogatepass")


@st.composite
def multipart_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    boundary = draw(st.sampled_from(["fuzzboundary", "a" * 70, "b=c", "x y"]))
    chunks = []
    names = draw(st.lists(st.sampled_from([*OCR_FIELDS, "junk"]), max_size=6))
    for name in names:
        charset = draw(st.sampled_from(CHARSETS))
        ctype = "text/plain" + (f"; charset={charset}" if charset else "")
        value = draw(field_values() | text)
        is_file = name in ("image", "file", "document") and draw(st.booleans())
        head = f'Content-Disposition: form-data; name="{name}"'
        if is_file:
            head += f'; filename="{draw(st.sampled_from(["a.png", "b.pdf", "", "x"]))}"'
            ctype = draw(st.sampled_from(["image/png", "application/pdf", "text/plain", "a/b"]))
            data = draw(st.sampled_from([PNG, b"%PDF-1.4\n", b"", b"\x00" * 10]))
        else:
            data = (
                value.encode(charset or "utf-8")
                if charset in (None, "utf-8", "utf-16")
                else (value.encode("utf-8", "surrogatepass"))
            )
        chunks.append(
            f"--{boundary}\r\n{head}\r\nContent-Type: {ctype}\r\n\r\n".encode("utf-8", "replace")
            + data
            + b"\r\n"
        )
    ending = draw(st.sampled_from([f"--{boundary}--\r\n", "", f"--{boundary}"]))
    return b"".join(chunks) + ending.encode(), f"multipart/form-data; boundary={boundary}"


@st.composite
def chat_bodies(draw: st.DrawFn) -> bytes:
    fields = {
        "model": draw(st.sampled_from(['"fine"', '"long-code"', '"up/fine"', '"nope"', "7", '""']))
    }
    if draw(st.booleans()):
        fields["messages"] = draw(
            st.sampled_from(['[{"role": "user", "content": "hi"}]', "[]"]) | field_values()
        )
    if draw(st.booleans()):
        fields["input"] = draw(field_values())
    if draw(st.booleans()):
        fields["stream"] = draw(st.sampled_from(["true", "false", "null", '"yes"', "1"]))
    if draw(st.booleans()):
        fields["stream_options"] = draw(
            st.sampled_from(['{"include_usage": true}', "[]", '{"include_usage": 3}'])
            | field_values()
        )
    body = "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"
    if draw(st.integers(0, 9)) == 0:
        body = _nested(draw(depths), body)
    return body.encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def upstream() -> Iterator[HostileUpstream]:
    fake = HostileUpstream(size=16).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def client(
    upstream: HostileUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, GatewayProcess]]:
    with (
        gateway_server(CONFIG.format(url=upstream.url), tmp_path_factory.mktemp("fuzz")) as gw,
        httpx.Client(base_url=gw.url, timeout=60) as http,
    ):
        yield http, gw


def _check(response: httpx.Response, request: Any) -> None:
    assert response.status_code < 500, f"{response.status_code} for {request!r}: {response.text}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"message", "type", "param", "code"}, body


@SETTINGS
@given(body=json_bodies(OCR_FIELDS))
def test_ocr_json_never_5xx(client: tuple[httpx.Client, GatewayProcess], body: bytes) -> None:
    http, _ = client
    r = http.post("/v1/ocr", content=body, headers={"content-type": "application/json"})
    _check(r, body[:300])


@SETTINGS
@given(form=multipart_bodies())
def test_ocr_multipart_never_5xx(
    client: tuple[httpx.Client, GatewayProcess], form: tuple[bytes, str]
) -> None:
    http, _ = client
    body, ctype = form
    r = http.post("/v1/ocr", content=body, headers={"content-type": ctype})
    _check(r, body[:300])


@SETTINGS
@given(
    body=st.binary(max_size=300) | st.text(max_size=200).map(lambda s: s.encode()),
    ctype=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "text/plain",
            "application/json; charset=latin-1",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "image/png",
            "",
            "a" * 300,
        ]
    ),
    path=st.sampled_from(["/v1/ocr", "/ocr", "/v1/chat/completions", "/v1/embeddings"]),
)
def test_raw_bodies_never_5xx(
    client: tuple[httpx.Client, GatewayProcess], body: bytes, ctype: str, path: str
) -> None:
    http, _ = client
    r = http.post(path, content=body, headers={"content-type": ctype})
    _check(r, (path, ctype, body[:200]))


@SETTINGS
@given(body=chat_bodies(), path=st.sampled_from(["/v1/chat/completions", "/v1/embeddings"]))
def test_chat_and_embeddings_never_5xx(
    client: tuple[httpx.Client, GatewayProcess], body: bytes, path: str
) -> None:
    http, _ = client
    with http.stream("POST", path, content=body, headers={"content-type": "application/json"}) as r:
        r.read()
    _check(r, body[:300])


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/v1/ocr", "application/json"),
        ("/v1/ocr", "multipart/form-data; boundary=b"),
        ("/v1/chat/completions", "application/json"),
    ],
)
def test_a_client_hanging_up_mid_body_is_a_499_not_a_500(
    client: tuple[httpx.Client, GatewayProcess], path: str, ctype: str
) -> None:
    http, gw = client
    before = len(re.findall(r'"status":499', gw.log()))
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
        sock.sendall(f"{head}Content-Length: 100000\r\n\r\n".encode() + b"{" + b" " * 999)
        time.sleep(0.3)  # the gateway is reading the body when the client goes
    deadline = time.monotonic() + 30
    while len(re.findall(r'"status":499', gw.log())) == before:
        assert time.monotonic() < deadline, "the dropped upload was never logged"
        time.sleep(0.05)
    metrics = http.get("/metrics").text
    assert not re.search(r'^aigw_requests_total\{[^}]*status="500"', metrics, re.M), metrics


def test_no_unhandled_error_was_logged(client: tuple[httpx.Client, GatewayProcess]) -> None:
    _, gw = client
    log = gw.log()
    assert "unhandled error" not in log
    assert "Traceback" not in log
